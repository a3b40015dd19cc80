using System.Runtime.InteropServices;

namespace Silo.Native;

/// <summary>How a seccomp rule compares a system call argument (libseccomp's <c>SCMP_CMP_*</c>).</summary>
public enum SeccompCompare
{
    /// <summary>Argument != value.</summary>
    NotEqual = 1,

    /// <summary>Argument &lt; value.</summary>
    Less = 2,

    /// <summary>Argument &lt;= value.</summary>
    LessOrEqual = 3,

    /// <summary>Argument == value.</summary>
    Equal = 4,

    /// <summary>Argument &gt;= value.</summary>
    GreaterOrEqual = 5,

    /// <summary>Argument &gt; value.</summary>
    Greater = 6,

    /// <summary>(Argument &amp; value) == second value.</summary>
    MaskedEqual = 7,
}

/// <summary>One comparison of a rule: argument number 0-5, how, and against what.</summary>
public readonly record struct SeccompCondition(uint Argument, SeccompCompare Compare, ulong Value, ulong ValueTwo = 0);

/// <summary>The actions of a seccomp filter, as libseccomp encodes them (<c>SCMP_ACT_*</c>).</summary>
public static class SeccompAction
{
    /// <summary>The call runs.</summary>
    public const uint Allow = 0x7fff0000;

    /// <summary>The calling thread is killed.</summary>
    public const uint KillThread = 0x00000000;

    /// <summary>The whole process is killed.</summary>
    public const uint KillProcess = 0x80000000;

    /// <summary>The thread gets SIGSYS.</summary>
    public const uint Trap = 0x00030000;

    /// <summary>The call runs and is logged by the audit subsystem.</summary>
    public const uint Log = 0x7ffc0000;

    /// <summary>The call fails at once with this errno.</summary>
    public static uint Errno(int errno) => 0x00050000 | ((uint)errno & 0xffff);

    /// <summary>A ptrace tracer is told, with this value; without one the call fails with ENOSYS.</summary>
    public static uint Trace(int value) => 0x7ff00000 | ((uint)value & 0xffff);
}

/// <summary>
/// A seccomp filter under construction, through the distribution's libseccomp: the host builds it
/// from a profile and exports the classic BPF program, which the child loads. Nothing is loaded
/// into the calling process.
/// </summary>
public sealed unsafe partial class SeccompFilter : IDisposable
{
    private const string Library = "libseccomp.so.2";
    private const int NrScmpError = -1;

    [StructLayout(LayoutKind.Sequential)]
    private struct ArgCmp
    {
        public uint Arg;
        public int Op;
        public ulong DatumA;
        public ulong DatumB;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Version
    {
        public uint Major;
        public uint Minor;
        public uint Micro;
    }

    [LibraryImport(Library)]
    private static partial nint seccomp_init(uint defaultAction);

    [LibraryImport(Library)]
    private static partial void seccomp_release(nint ctx);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint seccomp_arch_resolve_name(string name);

    [LibraryImport(Library)]
    private static partial int seccomp_arch_add(nint ctx, uint arch);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int seccomp_syscall_resolve_name(string name);

    [LibraryImport(Library)]
    private static partial int seccomp_rule_add_array(
        nint ctx, uint action, int syscall, uint count, ArgCmp* conditions);

    [LibraryImport(Library)]
    private static partial int seccomp_export_bpf(nint ctx, int fd);

    [LibraryImport(Library)]
    private static partial Version* seccomp_version();

    private nint _ctx;

    /// <summary><c>seccomp_init</c>: an empty filter for the native architecture.</summary>
    /// <param name="defaultAction">What happens to a call that no rule matches.</param>
    public SeccompFilter(uint defaultAction)
    {
        _ctx = seccomp_init(defaultAction);
        if (_ctx == 0)
        {
            throw new SyscallException($"seccomp_init 0x{defaultAction:x8}", Tmds.Linux.LibC.EINVAL);
        }
    }

    /// <summary>libseccomp's version, for example <c>2.5.4</c>.</summary>
    public static string LibraryVersion
    {
        get
        {
            Version* v = seccomp_version();
            return v is null ? "unknown" : $"{v->Major}.{v->Minor}.{v->Micro}";
        }
    }

    /// <summary>True when libseccomp knows the architecture name (<c>x86_64</c>, <c>x32</c>, ...).</summary>
    public static bool IsArchitecture(string name) => seccomp_arch_resolve_name(name) != 0;

    /// <summary>
    /// The number of a system call on the native architecture, or null when libseccomp does not
    /// know the name. A call that exists only on another architecture of the filter resolves to a
    /// negative pseudo number, which libseccomp translates for each architecture.
    /// </summary>
    public static int? ResolveSyscall(string name)
    {
        int number = seccomp_syscall_resolve_name(name);
        return number == NrScmpError ? null : number;
    }

    /// <summary><c>seccomp_arch_add</c>: the filter also covers calls made with this ABI.</summary>
    public void AddArchitecture(string name)
    {
        uint token = seccomp_arch_resolve_name(name);
        if (token == 0)
        {
            throw new SyscallException($"seccomp_arch_resolve_name {name}", Tmds.Linux.LibC.EINVAL);
        }

        int rc = seccomp_arch_add(_ctx, token);
        if (rc < 0 && rc != -Tmds.Linux.LibC.EEXIST)
        {
            throw new SyscallException($"seccomp_arch_add {name}", -rc);
        }
    }

    /// <summary>
    /// <c>seccomp_rule_add_array</c>: <paramref name="action"/> for the call when every condition
    /// holds. libseccomp refuses two conditions on one argument (EINVAL) and a rule whose action
    /// is the default action (EACCES).
    /// </summary>
    public void AddRule(uint action, int syscall, IReadOnlyList<SeccompCondition> conditions)
    {
        ArgCmp* cmps = stackalloc ArgCmp[Math.Max(conditions.Count, 1)];
        for (int i = 0; i < conditions.Count; i++)
        {
            SeccompCondition c = conditions[i];
            cmps[i] = new ArgCmp { Arg = c.Argument, Op = (int)c.Compare, DatumA = c.Value, DatumB = c.ValueTwo };
        }

        int rc = seccomp_rule_add_array(_ctx, action, syscall, (uint)conditions.Count, cmps);
        if (rc < 0)
        {
            throw new SyscallException($"seccomp_rule_add syscall {syscall}", -rc);
        }
    }

    /// <summary><c>seccomp_export_bpf</c>: the program, as the kernel's <c>struct sock_filter</c> array.</summary>
    public byte[] Export()
    {
        int fd = Sys.MemfdCreate("silo-seccomp");
        try
        {
            int rc = seccomp_export_bpf(_ctx, fd);
            if (rc < 0)
            {
                throw new SyscallException("seccomp_export_bpf", -rc);
            }

            Sys.Rewind(fd);
            var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(Sys.Dup(fd), ownsHandle: true);
            using var stream = new FileStream(handle, FileAccess.Read);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    /// <summary><c>seccomp_release</c>.</summary>
    public void Dispose()
    {
        if (_ctx != 0)
        {
            seccomp_release(_ctx);
            _ctx = 0;
        }
    }
}
