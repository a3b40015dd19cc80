using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Silo.Native;

// The lock-down primitives silo-init performs on itself just before it forks the target, which
// inherits them (resource limits excepted: see RaiseHardLimit). Capabilities and no_new_privs
// belong to a thread, not a process: these calls change the calling thread, which is the one
// that later forks the target (silo-init never forks from another thread).
public static unsafe partial class Sys
{
    private const int PR_CAPBSET_READ = 23;
    private const int PR_CAP_AMBIENT_CLEAR_ALL = 4;
    private const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    private const uint SECCOMP_SET_MODE_FILTER = 1;
    private const uint SECCOMP_FILTER_FLAG_TSYNC = 1;
    private const uint CLOSE_RANGE_CLOEXEC = 1u << 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFprog
    {
        public ushort Length;
        public byte* Filter;
    }

    [LibraryImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static partial int capget(CapHeader* header, CapData* data);

    [LibraryImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static partial int capset(CapHeader* header, CapData* data);

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static partial int prlimit(int pid, int resource, ulong* newLimit, ulong* oldLimit);

    [LibraryImport("libc", EntryPoint = "close_range", SetLastError = true)]
    private static partial int close_range(uint first, uint last, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall3(long number, ulong arg1, ulong arg2, void* arg3);

    /// <summary>
    /// Narrows the calling thread's capabilities for the program it will start:
    /// <c>PR_CAPBSET_DROP</c> for every capability outside <paramref name="keep"/>, then
    /// <c>capset(2)</c> with an empty inheritable set and permitted = effective =
    /// <paramref name="keep"/> plus <paramref name="keepForSelf"/> (what the caller still needs
    /// itself), then the ambient set cleared. Each bit is a capability number (bit 0 is CAP_CHOWN).
    /// </summary>
    public static void LimitCapabilities(ulong keep, ulong keepForSelf)
    {
        // The bounding set first: dropping from it needs CAP_SETPCAP, which capset may remove.
        // The last capability is found by asking the kernel (EINVAL past it), not by reading
        // /proc/sys/kernel/cap_last_cap: /proc inside the sandbox may not be the kernel's.
        for (int cap = 0; cap < 64; cap++)
        {
            int held = prctl(PR_CAPBSET_READ, (ulong)cap, 0, 0, 0);
            if (held < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINVAL)
                {
                    break;
                }

                throw new SyscallException($"prctl PR_CAPBSET_READ {cap}", errno);
            }

            if (held == 1 && (keep & (1UL << cap)) == 0)
            {
                Check(prctl(PrctlOption.CapBsetDrop, (ulong)cap, 0, 0, 0), $"prctl PR_CAPBSET_DROP {cap}");
            }
        }

        var header = new CapHeader { Version = LINUX_CAPABILITY_VERSION_3 };
        CapData* data = stackalloc CapData[2];
        Check(capget(&header, data), "capget");
        ulong permitted = data[0].Permitted | (ulong)data[1].Permitted << 32;
        ulong wanted = (keep | keepForSelf) & permitted;
        for (int i = 0; i < 2; i++)
        {
            uint half = (uint)(wanted >> (32 * i));
            data[i] = new CapData { Effective = half, Permitted = half, Inheritable = 0 };
        }

        Check(capset(&header, data), $"capset permitted=effective=0x{wanted:x} inheritable=0");
        Check(prctl(PrctlOption.CapAmbient, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl PR_CAP_AMBIENT_CLEAR_ALL");
    }

    /// <summary><c>prctl(PR_SET_NO_NEW_PRIVS, 1)</c>: no later exec can grant privilege.</summary>
    public static void SetNoNewPrivileges() =>
        Check(prctl(PrctlOption.SetNoNewPrivs, 1, 0, 0, 0), "prctl PR_SET_NO_NEW_PRIVS");

    /// <summary><c>prctl(PR_SET_DUMPABLE)</c>: a process that is not dumpable cannot be ptraced
    /// by anyone without CAP_SYS_PTRACE, and its <c>/proc/PID</c> files stay closed to them.</summary>
    public static void SetDumpable(bool dumpable) =>
        Check(prctl(PrctlOption.SetDumpable, dumpable ? 1UL : 0UL, 0, 0, 0), "prctl PR_SET_DUMPABLE");

    /// <summary>
    /// <c>prlimit(2)</c> on the calling process, only to raise its hard limit to
    /// <paramref name="hard"/> when that is above the current one (its soft limit is kept).
    /// Raising needs CAP_SYS_RESOURCE over the host, so a limit that cannot be granted fails
    /// here, by name; lowering always succeeds, and is left to the target (see
    /// <see cref="SpawnTarget"/>).
    /// </summary>
    public static void RaiseHardLimit(string resource, ulong hard)
    {
        string call = $"prlimit RLIMIT_{resource.ToUpperInvariant()}";
        if (!ResourceLimits.Numbers.TryGetValue(resource, out int number))
        {
            throw new SyscallException(call, EINVAL);
        }

        ulong* current = stackalloc ulong[2];
        Check(prlimit(0, number, null, current), call);
        if (hard > current[1])
        {
            ulong* raised = stackalloc ulong[2] { current[0], hard };
            Check(prlimit(0, number, raised, null), call);
        }
    }

    /// <summary>
    /// <c>seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC)</c>: installs a classic BPF
    /// program (8 bytes an instruction) on every thread of the process. The caller needs
    /// no_new_privs or CAP_SYS_ADMIN.
    /// </summary>
    public static void LoadSeccompFilter(byte[] program)
    {
        long number = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 317,
            Architecture.Arm64 => 277,
            var other => throw new PlatformNotSupportedException($"seccomp: no system call number known for {other}"),
        };
        fixed (byte* p = program)
        {
            var prog = new SockFprog { Length = (ushort)(program.Length / 8), Filter = p };
            long result = syscall3(number, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
            if (result < 0)
            {
                throw new SyscallException("seccomp SECCOMP_SET_MODE_FILTER", Marshal.GetLastPInvokeError());
            }

            if (result > 0)
            {
                // TSYNC could not move that thread (it has a filter of its own): not one of ours.
                throw new SyscallException($"seccomp SECCOMP_FILTER_FLAG_TSYNC (thread {result})", ESRCH);
            }
        }
    }

    /// <summary>
    /// <c>close_range(first, ~0, CLOSE_RANGE_CLOEXEC)</c>: marks every descriptor from
    /// <paramref name="first"/> up close-on-exec, so that none reaches a program started later.
    /// </summary>
    public static void CloseOnExecFrom(int first) =>
        Check(close_range((uint)first, uint.MaxValue, CLOSE_RANGE_CLOEXEC), $"close_range {first} CLOSE_RANGE_CLOEXEC");
}
