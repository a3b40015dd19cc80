using Silo.Abstractions.Plan;
using M = Silo.Abstractions.Plan.MountFlags;
using MountOp = Silo.Abstractions.Plan.Mount;

namespace Silo.Stage.Mount;

// /proc and /sys: the kernel's own views, which a sandbox needs to read but must not use to
// reach the host (kernel memory, keys, magic keys, tunables).
internal sealed partial class NewRoot
{
    // Files that tell about the whole machine or reach into the kernel: covered by /dev/null.
    private static readonly string[] s_procMaskedFiles =
        ["kcore", "keys", "latency_stats", "timer_list", "timer_stats", "sched_debug"];

    // Directories of hardware and driver controls: covered by an empty read-only tmpfs.
    private static readonly string[] s_procMaskedDirectories = ["acpi", "asound", "scsi"];

    // Kernel tunables and controls that stay readable but become read-only.
    private static readonly string[] s_procReadOnly = ["bus", "fs", "irq", "sys", "sysrq-trigger"];

    /// <summary>/proc, fresh when the kernel allows it, with the sensitive parts masked.</summary>
    public void MountProc()
    {
        // A proc mount shows the PID namespace of the process that mounts it, and needs
        // CAP_SYS_ADMIN in the user namespace owning that PID namespace. With the PID stage that
        // is ours. Without a user namespace, real root owns the host's. With a user namespace but
        // no PID namespace the kernel refuses (EPERM): the host's /proc is bound instead, which
        // shows the host's processes, as any namespace-less process sees them anyway.
        bool fresh = _context.IsEnabled("pid") || !_userNamespace;
        if (fresh)
        {
            MountInside("mount a fresh /proc", "proc", "/proc", "proc", M.NoSuid | M.NoDev | M.NoExec, null);
        }
        else
        {
            _context.Log.Step(
                "no PID namespace inside a user namespace: the kernel refuses a new proc, " +
                "so the host's /proc is bound");
            MountInside(
                "bind the host's /proc (no PID namespace: a new proc is refused)", "/proc", "/proc", null,
                M.Bind | M.Recursive, null);
        }

        // Only what this kernel has: a mask needs something to cover. The sandbox runs on the same
        // kernel as the host, so the host's /proc tells.
        foreach (string name in s_procMaskedFiles.Where(n => File.Exists("/proc/" + n)))
        {
            MountInside($"mask /proc/{name}", "/dev/null", "/proc/" + name, null, M.Bind, null);
        }

        foreach (string name in s_procMaskedDirectories.Where(n => Directory.Exists("/proc/" + n)))
        {
            MaskDirectory("/proc/" + name);
        }

        foreach (string name in s_procReadOnly.Where(n => Path.Exists("/proc/" + n)))
        {
            MakeReadOnlyInPlace("/proc/" + name);
        }
    }

    /// <summary>/sys, read-only.</summary>
    public void MountSys()
    {
        // sysfs shows the network devices of the mounter's network namespace, and the kernel
        // allows a new one only to a mounter with CAP_SYS_ADMIN over that namespace: with the net
        // stage that holds. Otherwise the host's /sys is bound, recursively (a user namespace may
        // not leave its sub-mounts behind), and then made read-only as a whole.
        if (_context.IsEnabled("net"))
        {
            MountInside(
                "mount a fresh read-only /sys", "sysfs", "/sys", "sysfs",
                M.ReadOnly | M.NoSuid | M.NoDev | M.NoExec, null);
        }
        else
        {
            MountInside(
                "bind the host's /sys (no net namespace: a new sysfs is refused)", "/sys", "/sys", null,
                M.Bind | M.Recursive, null);
            ReadOnlyInside("make /sys read-only", "/sys", recursive: true);
        }

        if (Directory.Exists("/sys/firmware"))
        {
            MaskDirectory("/sys/firmware");
        }
    }

    private void MaskDirectory(string path) =>
        MountInside($"mask {path}", "tmpfs", path, "tmpfs", M.ReadOnly | M.NoSuid | M.NoDev | M.NoExec, "mode=555");

    // A part of a mount becomes read-only by binding it onto itself (it is now a mount of its own)
    // and setting that mount read-only. The source is a plain path: /proc was just mounted at
    // exactly root/proc (InsideRoot refuses a link there), so the path leads into that proc.
    private void MakeReadOnlyInPlace(string path)
    {
        _context.AddStep(
            $"bind {path} onto itself",
            new MountOp(_root + path, path, null, M.Bind | M.Recursive, null) { InsideRoot = _root });
        ReadOnlyInside($"make {path} read-only", path, recursive: true);
    }
}
