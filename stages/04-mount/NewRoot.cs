using Silo.Abstractions;
using Silo.Abstractions.Plan;
using M = Silo.Abstractions.Plan.MountFlags;
using MountOp = Silo.Abstractions.Plan.Mount;

namespace Silo.Stage.Mount;

/// <summary>
/// Plans the new root, one method per part of it. Every step runs in the child, in its new mount
/// namespace, before pivot_root: host paths are still visible there, and every mount lands only in
/// the child's own mount table.
/// </summary>
internal sealed partial class NewRoot
{
    // What the default root takes from the host: the directories a program needs to run. The
    // rest of the host's top level (homes, data, /work, /srv, /boot) is simply not there.
    private static readonly string[] s_systemDirectories =
        ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt", "var"];

    // Places the staging tmpfs may cover in the child's mount table; the first that hides no
    // path the plan still needs from the host is taken.
    private static readonly string[] s_stagingCandidates = ["/run", "/mnt", "/media", "/srv", "/tmp"];

    // The old root's mount point inside the new root, removed once the old root is detached.
    private const string OldRoot = "/.silo-old-root";

    // PROC_SUPER_MAGIC of linux/magic.h: statfs's f_type for a proc file system.
    private const long ProcSuperMagic = 0x9fa0;

    // The first mount is where missing privilege shows; later failures have causes of their own.
    private const string Hint = "run as root or enable the user stage";
    private const string TargetHint =
        "choose a target that is a directory (or, to bind a file, a file) inside the root";
    private const string SealedHint =
        "--ro with --rootfs cannot create anything in the rootfs: create the path in it, or drop --ro";

    private readonly StageContext _context;
    private readonly RootRequest _request;
    private readonly string _staging;
    private readonly string _root;
    private readonly bool _userNamespace;

    public NewRoot(StageContext context, RootRequest request)
    {
        _context = context;
        _request = request;
        _staging = ChooseStaging(request);
        _root = _staging + "/root";
        _userNamespace = context.IsEnabled("user");
    }

    /// <summary>True for --rootfs with --ro: a root nothing can be written to, not even mount points.</summary>
    private bool SealedRootfs => _request.Rootfs is not null && _request.ReadOnly;

    // Without this, the new namespace's copies of shared mounts would stay in the host's peer
    // groups and every mount below (the overlays, /proc, the tmpfs) would appear on the host too.
    public void MakeMountsPrivate() =>
        _context.AddStep(
            "make every mount private, so that no mount made here reaches the host",
            new MountOp(null, "/", null, M.Recursive | M.Private, null), Hint);

    // The staging tmpfs holds the new root and the overlays' upper and work directories. It is
    // mounted in the child's mount table only: it hides the host's directory from the child for
    // the few steps before pivot_root, and from nobody on the host.
    public void MountStaging()
    {
        _context.Log.Step($"staging the new root in a tmpfs on {_staging} (in the sandbox's mount table only)");
        _context.AddStep(
            $"mount a staging tmpfs on {_staging}",
            new MountOp("tmpfs", _staging, "tmpfs", M.NoSuid | M.NoDev, "mode=755"), Hint);
        _context.AddStep($"make {_root}", new MakeDirectory(_root, Octal("755")));
    }

    /// <summary>The default root: an empty tmpfs holding the host's system directories, each through a layer.</summary>
    public void BuildFromHostSystem()
    {
        _context.AddStep(
            "mount the new root: an empty tmpfs",
            new MountOp("tmpfs", _root, "tmpfs", M.NoSuid | M.NoDev, "mode=755"), Hint);
        foreach (string name in s_systemDirectories)
        {
            string host = "/" + name;
            var info = new DirectoryInfo(host);
            if (info.LinkTarget is { } link)
            {
                // Debian's merged /usr: /bin is "usr/bin". The link is made again, not followed,
                // so that it keeps pointing into the new root.
                _context.AddStep($"link {host} -> {link}", new Symlink(link, _root + host));
            }
            else if (info.Exists)
            {
                ShowHostDirectory(name, (int)info.UnixFileMode);
            }
        }
    }

    // One overlay per directory: inside a user namespace overlayfs refuses the host's whole root
    // as a lower layer (the mounts on it are locked, and a layer must come without them), but
    // takes each system directory. With --ro there is no layer: a recursive bind made read-only.
    private void ShowHostDirectory(string name, int mode)
    {
        string host = "/" + name;
        if (_request.ReadOnly)
        {
            MountInside($"bind the host's {host}", host, host, null, M.Bind | M.Recursive, null);
            ReadOnlyInside($"make {host} read-only", host, recursive: true);
            return;
        }

        string upper = $"{_staging}/upper/{name}";
        string work = $"{_staging}/work/{name}";
        _context.AddStep($"make the writable layer of {host}", new MakeDirectory(upper, mode));
        _context.AddStep($"make the work directory of {host}", new MakeDirectory(work, Octal("700")));
        MountInside(
            $"show the host's {host} through an ephemeral writable layer",
            "overlay", host, "overlay", 0, OverlayOptions(host, upper, work));
    }

    /// <summary>The root from --rootfs: the directory under a layer, so that it is never changed.</summary>
    public void BuildFromRootfs()
    {
        string rootfs = _request.Rootfs!;
        string hint = "the kernel will not use this directory as an overlayfs lower layer " +
            "(for example it is the host's root, or on a file system overlayfs refuses); " +
            "copy it to a local disk, or check 'dmesg' for overlayfs's reason";
        if (!_request.ReadOnly)
        {
            int mode = (int)new DirectoryInfo(rootfs).UnixFileMode;
            string upper = $"{_staging}/upper/root";
            string work = $"{_staging}/work/root";
            _context.AddStep("make the writable layer of the rootfs", new MakeDirectory(upper, mode));
            _context.AddStep("make the work directory of the rootfs", new MakeDirectory(work, Octal("700")));
            _context.AddStep(
                $"overlay the rootfs {rootfs} with an ephemeral writable layer",
                new MountOp("overlay", _root, "overlay", 0, OverlayOptions(rootfs, upper, work)),
                hint);
            return;
        }

        // --ro: an overlay of two lower layers and no upper one is read-only. Below the rootfs
        // lies a skeleton of the mount points this plan needs, so that they exist even where the
        // rootfs lacks them, without writing a byte to it.
        string skeleton = $"{_staging}/skeleton";
        foreach (string place in MountPointsForSealedRootfs())
        {
            _context.AddStep(
                $"make the mount point {place} in the skeleton layer",
                new MakeDirectory(skeleton + place, Octal("755")));
        }

        foreach (ResolvedBind bind in _request.Binds.Where(b => !Directory.Exists(b.Source)))
        {
            _context.AddStep($"make the mount point {bind.Target} in the skeleton layer",
                new MakeDirectory(skeleton + Path.GetDirectoryName(bind.Target), Octal("755")));
            _context.AddStep(
                $"make the file {bind.Target} to bind onto", new CreateFile(skeleton + bind.Target, Octal("644")));
        }

        string options = $"lowerdir={rootfs}:{skeleton}" + (_userNamespace ? ",userxattr" : "");
        _context.AddStep(
            $"show the rootfs {rootfs} read-only (two lower layers, no upper one)",
            new MountOp("overlay", _root, "overlay", M.ReadOnly, options), hint);
    }

    private IEnumerable<string> MountPointsForSealedRootfs() =>
        new[] { OldRoot, "/proc", "/dev", "/sys", "/tmp", "/run" }
            .Concat(_request.Tmpfs)
            .Concat(_request.Binds.Where(b => Directory.Exists(b.Source)).Select(b => b.Target));

    /// <summary>Empty tmpfs where the host keeps private or per-boot files.</summary>
    public void MountEmptyPlaces()
    {
        (string Path, string Mode)[] places = _request.Rootfs is null
            ?
            [
                ("/home", "755"), ("/root", "700"), ("/tmp", "1777"), ("/var/tmp", "1777"), ("/run", "755"),
                ("/mnt", "755"), ("/media", "755"),
            ]
            : [("/tmp", "1777"), ("/run", "755")];
        foreach (var (path, mode) in places)
        {
            // /var/tmp lives inside the host's /var: with --ro it cannot be created there.
            if (path == "/var/tmp" && !Directory.Exists(path))
            {
                continue;
            }

            MountInside($"mount an empty tmpfs on {path}", "tmpfs", path, "tmpfs", M.NoSuid | M.NoDev, $"mode={mode}");
        }
    }

    /// <summary>The user's --tmpfs and --bind, last, so that they can cover anything above.</summary>
    public void MountUserRequests()
    {
        foreach (string path in _request.Tmpfs)
        {
            MountInside(
                $"mount an empty tmpfs on {path} (--tmpfs)", "tmpfs", path, "tmpfs", M.NoSuid | M.NoDev, "mode=755",
                UserHint);
        }

        foreach (ResolvedBind bind in _request.Binds)
        {
            // Recursive, because inside a user namespace the kernel refuses to bind a mount whose
            // sub-mounts would be left behind (they could be hiding something).
            MountInside(
                $"bind {bind.Source} on {bind.Target} (--bind)", bind.Source, bind.Target, null, M.Bind | M.Recursive,
                null, UserHint);
            if (bind.ReadOnly)
            {
                ReadOnlyInside($"make {bind.Target} read-only (--bind :ro)", bind.Target, recursive: true);
            }
        }
    }

    /// <summary>pivot_root into the new root, then detach the old one and remove its mount point.</summary>
    public void Enter()
    {
        // pivot_root, not chroot: chroot changes only this process's idea of "/", and a process
        // with CAP_SYS_CHROOT can chroot again to get out. pivot_root changes the namespace's
        // root mount; once the old root is detached there is no path back to the host's files.
        if (!SealedRootfs)
        {
            _context.AddStep("make the old root's mount point", new MakeDirectory(_root + OldRoot, Octal("700")));
        }

        _context.AddStep("enter the new root", new PivotRoot(_root, _root + OldRoot));
        _context.AddStep("detach the old root, and with it every host mount", new Unmount(OldRoot, Detach: true));
        if (!SealedRootfs)
        {
            _context.AddStep("remove the old root's mount point", new RemoveDirectory(OldRoot));
        }

        if (_request.ReadOnly && _request.Rootfs is null)
        {
            _context.AddStep("make the root read-only (--ro)", new MakeMountReadOnly("/", Recursive: false));
        }

        RequireProc();
    }

    // Last in the mount stage, once "/" is the new root: from here on silo-init (its reaper
    // reads /proc/self/task/N/children), later stages and the program trust /proc to be the
    // kernel's. A link planted there in a rootfs is refused when proc is mounted, but a --bind
    // or --tmpfs onto /proc covers the real one afterwards; a /proc that is not procfs answers
    // with whatever files it holds and swallows writes meant for the kernel (runc's
    // CVE-2019-16884 lost an AppArmor label that way). statfs names procfs by its magic number.
    private void RequireProc() =>
        _context.AddStep(
            "check that /proc is the kernel's proc",
            new RequireFileSystem("/proc", "proc", ProcSuperMagic),
            "leave /proc to silo: no --bind or --tmpfs of another file system on it");

    private string UserHint => SealedRootfs ? SealedHint : TargetHint;

    private string OverlayOptions(string lower, string upper, string work) =>
        $"lowerdir={lower},upperdir={upper},workdir={work}" +
        // Inside a user namespace overlayfs may not use trusted.* extended attributes for its
        // bookkeeping (whiteouts of deleted files, opaque directories); userxattr moves it to
        // user.* ones, which the tmpfs holding the upper layer accepts.
        (_userNamespace ? ",userxattr" : "");

    private void MountInside(
        string description, string? source, string target, string? fsType, ulong flags, string? data,
        string? hint = null) =>
        _context.AddStep(description, new MountOp(source, target, fsType, flags, data) { InsideRoot = _root }, hint);

    private void ReadOnlyInside(string description, string target, bool recursive, string? hint = null) =>
        _context.AddStep(description, new MakeMountReadOnly(target, recursive) { InsideRoot = _root }, hint);

    private static int Octal(string digits) => Convert.ToInt32(digits, 8);

    // The staging tmpfs must not cover anything the plan reads from the host afterwards: the
    // rootfs, the bind sources, and the system directories (which are no candidates).
    private static string ChooseStaging(RootRequest request)
    {
        var needed = request.Binds.Select(b => b.Source).ToList();
        if (request.Rootfs is not null)
        {
            needed.Add(request.Rootfs);
        }

        foreach (string candidate in s_stagingCandidates)
        {
            var info = new DirectoryInfo(candidate);
            if (info.Exists && info.LinkTarget is null &&
                !needed.Any(p => p == candidate || p.StartsWith(candidate + "/", StringComparison.Ordinal)))
            {
                return candidate;
            }
        }

        throw new StageFailureException(
            "choose a staging directory",
            $"each of {string.Join(", ", s_stagingCandidates)} is missing or holds the rootfs or a bind source",
            "move the rootfs or bind source elsewhere");
    }
}
