using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Silo.Native;

public static unsafe partial class Sys
{
    private const string NativeLibrary = "libsilo-native";

    [LibraryImport(NativeLibrary, EntryPoint = "silo_clone_child")]
    private static partial int silo_clone_child(
        ulong flags, int initFd, byte** argv, byte** envp, int* fds, int fdCount, int syncFd, int syncWriteFd,
        int errFd);

    [LibraryImport(NativeLibrary, EntryPoint = "silo_spawn_target")]
    private static partial int silo_spawn_target(
        byte* path, byte** argv, byte** envp, int ttyFd, long uid, long gid, ulong* limits, int limitCount,
        int errFd);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int waitpid(int pid, int* status, int options);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    /// <summary>
    /// Clones a child into the namespaces in <paramref name="flags"/> through the C trampoline. The
    /// child waits for one byte on the read end of <paramref name="sync"/>, becomes root of its
    /// user namespace when it has one, then executes the program open on <paramref name="initFd"/>
    /// with <paramref name="fds"/> placed at 3, 4, 5, ... The caller keeps the write end open until
    /// the child has execed: the child takes a hang-up on it as the caller's death. Its own errors
    /// arrive as errno on <paramref name="errFd"/>. Returns the child's pid.
    /// </summary>
    public static int CloneChild(
        ulong flags, int initFd, IReadOnlyList<string> argv, IReadOnlyList<string> env,
        IReadOnlyList<int> fds, (int Read, int Write) sync, int errFd)
    {
        using var args = new NativeStrings([.. argv, .. env]);
        int[] fdArray = [.. fds];
        fixed (int* pfds = fdArray)
        {
            int pid = silo_clone_child(
                flags, initFd, args.Slice(0, argv.Count), args.Slice(argv.Count, env.Count),
                pfds, fdArray.Length, sync.Read, sync.Write, errFd);
            if (pid < 0)
            {
                throw new SyscallException("clone", -pid);
            }

            return pid;
        }
    }

    /// <summary>
    /// Forks and execs the target through the C trampoline (see <c>silo_spawn_target</c>), with
    /// <paramref name="limits"/> set in the child just before exec (see <see cref="ResourceLimits"/>).
    /// Returns the target's pid; exec errors arrive as errno on <paramref name="errFd"/>.
    /// </summary>
    public static int SpawnTarget(
        string path, IReadOnlyList<string> argv, IReadOnlyList<string> env, int ttyFd, int? uid,
        int? gid, IReadOnlyList<(string Resource, ulong Soft, ulong Hard)> limits, int errFd)
    {
        using var args = new NativeStrings([path, .. argv, .. env]);
        ulong[] triples =
            [.. limits.SelectMany(l => new[] { (ulong)ResourceLimits.Numbers[l.Resource], l.Soft, l.Hard })];
        int pid;
        fixed (ulong* plimits = triples)
        {
            pid = silo_spawn_target(
                args[0], args.Slice(1, argv.Count), args.Slice(1 + argv.Count, env.Count), ttyFd,
                uid ?? -1, gid ?? -1, plimits, limits.Count, errFd);
        }

        if (pid < 0)
        {
            throw new SyscallException("fork", -pid);
        }

        return pid;
    }

    /// <summary>
    /// <c>waitpid(2)</c>, retried on EINTR. Returns the pid reaped, or 0 when there is no child
    /// left to wait for (ECHILD).
    /// </summary>
    public static int WaitPid(int pid, out int status)
    {
        int s = 0;
        while (true)
        {
            int r = waitpid(pid, &s, 0);
            if (r >= 0)
            {
                status = s;
                return r;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.ECHILD)
            {
                status = 0;
                return 0;
            }

            if (errno != LibC.EINTR)
            {
                throw new SyscallException($"waitpid {pid}", errno);
            }
        }
    }

    /// <summary>The exit code of a wait status, or null when the process died of a signal.</summary>
    public static int? ExitCode(int status) => (status & 0x7f) == 0 ? (status >> 8) & 0xff : null;

    /// <summary>The signal that ended a process, or null when it exited.</summary>
    public static int? TermSignal(int status) =>
        (status & 0x7f) != 0 && (status & 0x7f) != 0x7f ? status & 0x7f : null;

    /// <summary><c>prctl(2)</c>.</summary>
    public static void Prctl(int option, ulong arg2, string call)
    {
        Check(prctl(option, arg2, 0, 0, 0), call);
    }

    /// <summary>The <c>PR_*</c> options silo uses.</summary>
    public static class PrctlOption
    {
        /// <summary>Signal to receive when the parent thread dies.</summary>
        public const int SetDeathSignal = 1;

        /// <summary>Whether the process can be ptraced or dump core.</summary>
        public const int SetDumpable = 4;

        /// <summary>Orphaned descendants are re-parented to this process.</summary>
        public const int SetChildSubreaper = 36;

        /// <summary>No exec can grant privilege.</summary>
        public const int SetNoNewPrivs = 38;

        /// <summary>Drop a capability from the bounding set.</summary>
        public const int CapBsetDrop = 24;

        /// <summary>Change the ambient capability set.</summary>
        public const int CapAmbient = 47;
    }
}
