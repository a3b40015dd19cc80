using Silo.Abstractions;
using Silo.Native;

namespace Silo;

/// <summary>
/// The way out for host-side errors whose errno alone misleads, in one table (as bubblewrap keeps
/// its mount error texts in one place).
/// </summary>
internal static class HostHints
{
    private const int EPERM = 1;
    private const int EINVAL = 22;
    private const int ENOSPC = 28;
    private const int EACCES = 13;

    public static string For(SyscallException e, Invocation invocation, HostFacts host)
    {
        bool user = invocation.Stages.Any(s => s.CloneFlag.HasFlag(CloneFlags.NewUser));
        return (e.Call, e.Errno) switch
        {
            ("clone", EPERM or EACCES) when user =>
                "; unprivileged user namespaces may be disabled here: check that /proc/sys/user/max_user_namespaces " +
                "is above 0 and that no sysctl or AppArmor policy (kernel.apparmor_restrict_unprivileged_userns) forbids them",
            ("clone", EPERM) when !host.IsRealRoot =>
                "; creating namespaces needs privilege: run as root or enable the user stage",
            ("clone", ENOSPC) =>
                "; the limit on namespaces is reached: see /proc/sys/user/max_*_namespaces",
            ("clone", EINVAL) =>
                "; the kernel refused this combination of namespaces",
            _ => "",
        };
    }
}
