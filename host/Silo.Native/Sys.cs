using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Silo.Native;

/// <summary>
/// The system calls silo makes, under libc's names where it has one (through Tmds.LibC). Each
/// wrapper throws <see cref="SyscallException"/> naming the call and its path or value; errno is
/// read at once after the failing call, before anything else can change it.
/// </summary>
public static unsafe partial class Sys
{
    /// <summary>Throws for a failed call: errno is read here, first.</summary>
    private static void Check(int result, string call)
    {
        if (result < 0)
        {
            throw new SyscallException(call, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>A NUL-terminated UTF-8 copy of a string, for a call that takes <c>char *</c>.</summary>
    private static byte[] Z(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    /// <summary><c>geteuid(2)</c>.</summary>
    public static int GetEffectiveUid() => (int)(uint)geteuid();

    /// <summary><c>getegid(2)</c>.</summary>
    public static int GetEffectiveGid() => (int)(uint)getegid();

    /// <summary><c>getpid(2)</c>.</summary>
    public static int GetPid() => getpid();

    /// <summary><c>isatty(3)</c>.</summary>
    public static bool IsTerminal(int fd) => isatty(fd) == 1;

    /// <summary><c>close(2)</c>, ignoring errors: used on cleanup paths only.</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            close(fd);
        }
    }

    /// <summary>
    /// <c>fcntl(F_SETFD, 0)</c>: clears close-on-exec, so that a helper program the host starts
    /// next inherits the descriptor under the same number.
    /// </summary>
    public static void KeepOpenOnExec(int fd) => Check(fcntl(fd, F_SETFD, 0), $"fcntl F_SETFD {fd}");

    /// <summary><c>pipe2(2)</c> with <c>O_CLOEXEC</c>: returns the read and write ends.</summary>
    public static (int Read, int Write) Pipe()
    {
        int* fds = stackalloc int[2];
        Check(pipe2(fds, O_CLOEXEC), "pipe2");
        return (fds[0], fds[1]);
    }

    /// <summary><c>write(2)</c> until every byte is written.</summary>
    public static void WriteAll(int fd, ReadOnlySpan<byte> data, string what)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                long n = write(fd, p + done, data.Length - done);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                    {
                        continue;
                    }

                    throw new SyscallException($"write {what}", errno);
                }

                done += (int)n;
            }
        }
    }

    /// <summary><c>read(2)</c>, retried on EINTR; returns 0 at end of file.</summary>
    public static int Read(int fd, Span<byte> buffer, string what)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                long n = read(fd, p, buffer.Length);
                if (n >= 0)
                {
                    return (int)n;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    throw new SyscallException($"read {what}", errno);
                }
            }
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or end of file; returns the count.</summary>
    public static int ReadFully(int fd, Span<byte> buffer, string what)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = Read(fd, buffer[total..], what);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    /// <summary><c>memfd_create(2)</c> with <c>MFD_CLOEXEC</c>: an anonymous file in memory.</summary>
    public static int MemfdCreate(string name)
    {
        fixed (byte* p = Z(name))
        {
            int fd = memfd_create(p, MFD_CLOEXEC);
            Check(fd, $"memfd_create {name}");
            return fd;
        }
    }

    /// <summary>
    /// A sealed copy of a file in memory (<c>memfd_create</c>, then <c>F_ADD_SEALS</c>): no one,
    /// not even its creator, can change it any more. Returns the descriptor, close-on-exec.
    /// </summary>
    public static int SealedCopy(string path, string name)
    {
        int fd;
        fixed (byte* p = Z(name))
        {
            fd = memfd_create(p, MFD_CLOEXEC | MFD_ALLOW_SEALING);
            Check(fd, $"memfd_create {name}");
        }

        CopyInKernel(path, fd);
        Check(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), $"seal {name}");
        return fd;
    }

    [LibraryImport("libc", EntryPoint = "sendfile", SetLastError = true)]
    private static partial nint sendfile(int outFd, int inFd, long* offset, nuint count);

    // sendfile(2) copies from the file to the memfd inside the kernel, a few calls for the whole
    // of silo-init, where a managed stream copy costs a read and a write per 80 KiB and a buffer.
    // (copy_file_range would refuse a copy from another file system into a memfd: EXDEV.)
    private static void CopyInKernel(string path, int targetFd)
    {
        int source;
        fixed (byte* p = Z(path))
        {
            source = open(p, O_RDONLY | O_CLOEXEC, 0);
            Check(source, $"open {path}");
        }

        try
        {
            while (true)
            {
                nint copied = sendfile(targetFd, source, null, 1 << 30);
                if (copied == 0)
                {
                    return;
                }

                if (copied < 0 && Marshal.GetLastPInvokeError() is int errno && errno != EINTR)
                {
                    throw new SyscallException($"sendfile {path}", errno);
                }
            }
        }
        finally
        {
            close(source);
        }
    }

    /// <summary><c>dup(2)</c>: a second descriptor for the same open file.</summary>
    public static int Dup(int fd)
    {
        int copy = dup(fd);
        Check(copy, "dup");
        return copy;
    }

    /// <summary><c>lseek(2)</c> to the start.</summary>
    public static void Rewind(int fd) => Check((int)lseek(fd, 0, SEEK_SET), "lseek");

    /// <summary><c>kill(2)</c>; returns false when the process is gone (ESRCH).</summary>
    public static bool Kill(int pid, int signal)
    {
        if (kill(pid, signal) == 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == ESRCH ? false : throw new SyscallException($"kill {pid}", errno);
    }
}
