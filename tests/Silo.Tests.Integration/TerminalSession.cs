using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Silo.Tests.Integration;

/// <summary>
/// A program run on a pseudo-terminal that the test holds the master of: the test plays the
/// user at a terminal (types, reads the screen, resizes the window) the way <c>expect</c> does.
/// The program's session has the terminal as its controlling terminal (<c>setsid --ctty</c>).
/// </summary>
public sealed class TerminalSession : IDisposable
{
    private const int O_RDWR = 2;
    private const int O_NOCTTY = 0x100;
    private const ulong TIOCSWINSZ = 0x5414;

    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    private readonly FileStream _master;
    private readonly FileStream _keyboard;
    private readonly Process _process;
    private readonly StringBuilder _screen = new();
    private readonly Lock _lock = new();
    private readonly Thread _reader;
    private int _consumed;

    private TerminalSession(FileStream master, Process process)
    {
        _master = master;
        var handle = new SafeFileHandle(master.SafeFileHandle.DangerousGetHandle(), ownsHandle: false);
        _keyboard = new FileStream(handle, FileAccess.Write, 1);
        _process = process;
        _reader = new Thread(Read) { IsBackground = true };
        _reader.Start();
    }

    /// <summary>Everything the terminal has shown so far.</summary>
    public string Screen
    {
        get
        {
            lock (_lock)
            {
                return _screen.ToString();
            }
        }
    }

    /// <summary>Runs a program on a new terminal of 30 rows and 100 columns.</summary>
    public static TerminalSession Start(params string[] command) => StartSized(30, 100, command);

    /// <summary>Runs a program on a new terminal of the given size.</summary>
    public static TerminalSession StartSized(int rows, int columns, params string[] command)
    {
        int master = posix_openpt(O_RDWR | O_NOCTTY);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
        {
            throw new InvalidOperationException($"cannot open a pseudo-terminal: errno {Marshal.GetLastPInvokeError()}");
        }

        var name = new byte[128];
        if (ptsname_r(master, name, (nuint)name.Length) != 0)
        {
            throw new InvalidOperationException("ptsname_r failed");
        }

        var stream = new FileStream(new SafeFileHandle(master, ownsHandle: true), FileAccess.Read, 1);
        SetSize(master, rows, columns);
        string slave = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));

        // The outer shell puts the terminal on stdin, stdout and stderr; setsid then starts a
        // session whose controlling terminal is stdin, as a login on a real terminal would.
        var start = new ProcessStartInfo("sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in (string[])["-c", "exec setsid --wait --ctty \"$@\" <>\"$0\" >&0 2>&0", slave, .. command])
        {
            start.ArgumentList.Add(a);
        }

        return new TerminalSession(stream, Process.Start(start)!);
    }

    /// <summary>Types text (control characters included, for example "\x03" for Ctrl-C).</summary>
    public void Send(string text)
    {
        _keyboard.Write(Encoding.UTF8.GetBytes(text));
        _keyboard.Flush();
    }

    /// <summary>
    /// Waits until the terminal shows <paramref name="text"/> after what earlier waits consumed,
    /// and returns what it showed up to and including it.
    /// </summary>
    public string Expect(string text)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < s_wait)
        {
            lock (_lock)
            {
                string screen = _screen.ToString();
                int at = screen.IndexOf(text, _consumed, StringComparison.Ordinal);
                if (at >= 0)
                {
                    string seen = screen[_consumed..(at + text.Length)];
                    _consumed = at + text.Length;
                    return seen;
                }

                if (!_reader.IsAlive)
                {
                    break;
                }
            }

            Thread.Sleep(20);
        }

        throw new TimeoutException($"the terminal never showed '{text}'; it showed:\n{Screen}");
    }

    /// <summary>Resizes the window, as a terminal emulator does when the user drags it.</summary>
    public void Resize(int rows, int columns) =>
        SetSize((int)_master.SafeFileHandle.DangerousGetHandle(), rows, columns);

    /// <summary>Waits for the command to end and returns its exit status.</summary>
    public int WaitForExit()
    {
        if (!_process.WaitForExit(s_wait))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the command did not end; the terminal showed:\n{Screen}");
        }

        _reader.Join(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        _keyboard.Dispose();
        _master.Dispose();
    }

    private void Read()
    {
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = _master.Read(buffer)) > 0)
            {
                lock (_lock)
                {
                    _screen.Append(Encoding.UTF8.GetString(buffer, 0, n));
                }
            }
        }
        catch (IOException)
        {
            // EIO: every process holding the terminal has closed it.
        }
    }

    private static void SetSize(int master, int rows, int columns)
    {
        var size = new WindowSize { Rows = (ushort)rows, Columns = (ushort)columns };
        if (ioctl(master, TIOCSWINSZ, ref size) < 0)
        {
            throw new InvalidOperationException($"TIOCSWINSZ failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WindowSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_openpt(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int grantpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int unlockpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int ptsname_r(int fd, byte[] buffer, nuint length);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, ref WindowSize size);
}
