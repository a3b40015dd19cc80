using System.Runtime.InteropServices;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Silo.Native;

/// <summary>A terminal's settings, saved to be put back later.</summary>
public sealed class TerminalSettings
{
    internal termios Value;
}

public static unsafe partial class Sys
{
    // Not in Tmds.LibC: the <pty.h> and <termios.h> pieces silo needs beyond it.
    private const int TIOCGPTPEER = 0x5441;

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static partial void cfmakeraw(termios* settings);

    /// <summary>
    /// A new pseudo-terminal: opens <c>/dev/ptmx</c> (the master), unlocks it (<c>TIOCSPTLCK</c>)
    /// and opens its slave through the master (<c>TIOCGPTPEER</c>), so no path under /dev/pts is
    /// looked up, and no other terminal can be handed over by a race on that path. Both are
    /// close-on-exec and neither becomes silo's controlling terminal.
    /// </summary>
    public static (int Master, int Slave) OpenPseudoTerminal()
    {
        fixed (byte* path = "/dev/ptmx\0"u8)
        {
            int master = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
            Check(master, "open /dev/ptmx");
            int unlock = 0;
            if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                close(master);
                throw new SyscallException("ioctl /dev/ptmx TIOCSPTLCK", errno);
            }

            int slave = ioctl(master, TIOCGPTPEER, (void*)(O_RDWR | O_NOCTTY | O_CLOEXEC));
            if (slave < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                close(master);
                throw new SyscallException("ioctl /dev/ptmx TIOCGPTPEER", errno);
            }

            return (master, slave);
        }
    }

    /// <summary><c>tcgetattr(3)</c>.</summary>
    public static TerminalSettings GetTerminalSettings(int fd)
    {
        var settings = new TerminalSettings();
        fixed (termios* p = &settings.Value)
        {
            Check(tcgetattr(fd, p), $"tcgetattr {fd}");
        }

        return settings;
    }

    /// <summary><c>tcsetattr(3)</c> with <c>TCSANOW</c>.</summary>
    public static void SetTerminalSettings(int fd, TerminalSettings settings)
    {
        fixed (termios* p = &settings.Value)
        {
            Check(tcsetattr(fd, (int)TCSANOW, p), $"tcsetattr {fd}");
        }
    }

    /// <summary>
    /// Puts a terminal in raw mode (<c>cfmakeraw(3)</c>): bytes pass one by one, with no echo, no
    /// line editing, no signals from Ctrl-C or Ctrl-Z and no output processing.
    /// </summary>
    public static void SetRawMode(int fd)
    {
        TerminalSettings raw = GetTerminalSettings(fd);
        fixed (termios* p = &raw.Value)
        {
            cfmakeraw(p);
            Check(tcsetattr(fd, (int)TCSANOW, p), $"tcsetattr {fd} raw");
        }
    }

    /// <summary>
    /// Copies the window size (<c>TIOCGWINSZ</c>) of one terminal to another (<c>TIOCSWINSZ</c>).
    /// Setting a new size makes the kernel send SIGWINCH to the foreground job of the target
    /// terminal.
    /// </summary>
    public static void CopyWindowSize(int from, int to)
    {
        winsize size;
        Check(ioctl(from, TIOCGWINSZ, &size), $"ioctl {from} TIOCGWINSZ");
        Check(ioctl(to, TIOCSWINSZ, &size), $"ioctl {to} TIOCSWINSZ");
    }

    /// <summary><c>dup2(2)</c>.</summary>
    public static void Dup2(int from, int to) => Check(dup2(from, to), $"dup2 {from} {to}");
}
