using System.Runtime.InteropServices;
using Silo.Native;

namespace Silo;

/// <summary>
/// The sandbox's own terminal. When silo's stdin is a terminal, the target does not get that
/// terminal: it gets the slave of a new pseudo-terminal, and the host copies bytes between the
/// user's terminal and the master, as <c>docker run -t</c> and <c>systemd-nspawn --pty</c> do.
/// </summary>
/// <remarks>
/// Why not hand the user's terminal through: a process holding a terminal can push bytes into its
/// input queue (the TIOCSTI ioctl, CVE-2017-5226 for bubblewrap), read what the user types after
/// silo has exited, or change its settings. With a pseudo-terminal of its own, the worst it can
/// reach is that pseudo-terminal, which dies with the sandbox. It lives in the host, not in a
/// stage, because every combination of stages needs it: without it an interactive shell has no
/// controlling terminal (the target runs in a session of its own) and so no job control.
/// Known limitation: only stdin decides. When stdout or stderr alone is a terminal, that terminal
/// is passed through as it is, and a process that is real root inside (no user stage) can still
/// use TIOCSTI on it. Fix: relay through a pseudo-terminal whenever any of 0, 1, 2 is a terminal.
/// </remarks>
internal sealed class TerminalRelay : IDisposable
{
    private const int Stdin = 0;
    private const int Stdout = 1;
    private const int SIGWINCH = 28;

    // How long the host waits, after the sandbox has ended, for the last output to come through:
    // the master reports end of file (EIO) once every copy of the slave is closed, which the end
    // of the sandbox guarantees; the bound only guards against a copy passed out of it.
    private static readonly TimeSpan s_drainLimit = TimeSpan.FromSeconds(2);

    private readonly int _master;
    private readonly TerminalSettings _saved;
    private readonly Thread _output;
    private readonly Lock _modeLock = new();
    private PosixSignalRegistration? _resize;
    private bool _raw;

    private TerminalRelay(int master, int slave, TerminalSettings saved)
    {
        _master = master;
        Slave = slave;
        _saved = saved;
        _output = new Thread(CopyOutput) { IsBackground = true, Name = "silo terminal output" };
    }

    /// <summary>The slave's descriptor in the host, to hand to the child (and then close).</summary>
    public int Slave { get; }

    /// <summary>A new pseudo-terminal when stdin is a terminal, or null to pass streams through.</summary>
    public static TerminalRelay? OpenIfInteractive()
    {
        if (!Sys.IsTerminal(Stdin))
        {
            return null;
        }

        var (master, slave) = Sys.OpenPseudoTerminal();
        try
        {
            // The new terminal starts as a copy of the user's (erase and interrupt keys, line
            // discipline flags) and of its size, so that the shell inside behaves as at home.
            TerminalSettings saved = Sys.GetTerminalSettings(Stdin);
            Sys.SetTerminalSettings(slave, saved);
            Sys.CopyWindowSize(Stdin, master);
            return new TerminalRelay(master, slave, saved);
        }
        catch (SyscallException)
        {
            Sys.Close(master);
            Sys.Close(slave);
            throw;
        }
    }

    /// <summary>Starts copying in both directions and following the window size.</summary>
    public void Start()
    {
        // With a terminal of its own, the size reaches the sandbox through the terminal: setting
        // it on the master makes the kernel signal the foreground job inside, which may not be
        // the target (a shell's vim), so SIGWINCH is not forwarded to silo-init.
        _resize = PosixSignalRegistration.Create((PosixSignal)SIGWINCH, context =>
        {
            context.Cancel = true;
            TryCopyWindowSize();
        });
        _output.Start();
        new Thread(CopyInput) { IsBackground = true, Name = "silo terminal input" }.Start();
    }

    /// <summary>
    /// Puts the user's terminal in raw mode, so that every key (Ctrl-C, Ctrl-Z, Ctrl-D) goes to
    /// the terminal inside and its line discipline decides what the key means there.
    /// </summary>
    public void EnterRawMode()
    {
        lock (_modeLock)
        {
            Sys.SetRawMode(Stdin);
            _raw = true;
        }
    }

    /// <summary>Gives the user's terminal back its settings from before the run.</summary>
    public void Restore()
    {
        lock (_modeLock)
        {
            if (_raw)
            {
                _raw = false;
                Sys.SetTerminalSettings(Stdin, _saved);
            }
        }
    }

    /// <summary>Waits, for a bounded time, until the sandbox's last output has been copied.</summary>
    public void Drain() => _output.Join(s_drainLimit);

    // The master stays open until silo exits: the input thread may still be about to write to
    // it, and a closed number could by then name another file.
    public void Dispose()
    {
        _resize?.Dispose();
        Restore();
    }

    private void TryCopyWindowSize()
    {
        try
        {
            Sys.CopyWindowSize(Stdin, _master);
        }
        catch (SyscallException)
        {
            // The user's terminal is gone (hung up): the size no longer matters.
        }
    }

    // Master to stdout until every slave is closed (read fails with EIO). When silo's stdout is
    // gone, output is still read and dropped, so that the sandbox never blocks on a full terminal.
    private void CopyOutput()
    {
        var buffer = new byte[16384];
        bool writable = true;
        while (true)
        {
            int n;
            try
            {
                n = Sys.Read(_master, buffer, "terminal master");
            }
            catch (SyscallException)
            {
                return;
            }

            if (n == 0)
            {
                return;
            }

            if (writable)
            {
                try
                {
                    Sys.WriteAll(Stdout, buffer.AsSpan(0, n), "stdout");
                }
                catch (SyscallException)
                {
                    writable = false;
                }
            }
        }
    }

    // Stdin to master until stdin ends or the master is closed. This thread may stay blocked in
    // read when the sandbox has ended; as a background thread it ends with silo.
    private void CopyInput()
    {
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = Sys.Read(Stdin, buffer, "stdin")) > 0)
            {
                Sys.WriteAll(_master, buffer.AsSpan(0, n), "terminal master");
            }
        }
        catch (SyscallException)
        {
            // EIO or EBADF: the sandbox's terminal or the user's has gone away.
        }
    }
}
