using Silo.Abstractions.Plan;
using M = Silo.Abstractions.Plan.MountFlags;

namespace Silo.Stage.Mount;

// A minimal /dev: the few devices every program expects, a terminal multiplexer of the sandbox's
// own, and no disks.
internal sealed partial class NewRoot
{
    private static readonly string[] s_devices = ["null", "zero", "full", "random", "urandom", "tty"];

    /// <summary>/dev: a tmpfs with the usual devices bound in, a new devpts, /dev/shm and the fd links.</summary>
    public void MountDev()
    {
        // nodev: a node made here with mknod opens nothing. The devices bound in below are mounts
        // of their own, with the flags of the host's /dev.
        MountInside(
            "mount an empty /dev", "tmpfs", "/dev", "tmpfs", M.NoSuid | M.NoDev | M.NoExec, "mode=755,size=64k");

        // mknod is refused inside a user namespace (a device node would open the host's
        // hardware), so each device is the host's node bound onto an empty file, as a rootless
        // container does. Block devices are left out: no disk can be reached.
        foreach (string name in s_devices.Where(n => File.Exists("/dev/" + n)))
        {
            MountInside($"bind the host's /dev/{name}", "/dev/" + name, "/dev/" + name, null, M.Bind, null);
        }

        // A new devpts instance: the sandbox's terminals are its own, and it cannot open the
        // host's (the host's /dev/pts holds every terminal of every user). ptmxmode opens its
        // multiplexer to everyone; /dev/ptmx leads to it.
        MountInside(
            "mount a devpts of the sandbox's own", "devpts", "/dev/pts", "devpts", M.NoSuid | M.NoExec,
            "newinstance,ptmxmode=0666,mode=0620");
        string dev = _root + "/dev";
        _context.AddStep("link /dev/ptmx -> pts/ptmx", new Symlink("pts/ptmx", dev + "/ptmx"));
        MountInside("mount an empty /dev/shm", "tmpfs", "/dev/shm", "tmpfs", M.NoSuid | M.NoDev, "mode=1777");

        // Plain paths are safe here: root/dev is the tmpfs mounted just above, not the rootfs's.
        _context.AddStep("link /dev/fd -> /proc/self/fd", new Symlink("/proc/self/fd", dev + "/fd"));
        string[] stdio = ["stdin", "stdout", "stderr"];
        for (int i = 0; i < stdio.Length; i++)
        {
            _context.AddStep($"link /dev/{stdio[i]}", new Symlink($"/proc/self/fd/{i}", $"{dev}/{stdio[i]}"));
        }
    }
}
