using Silo.Abstractions;

namespace Silo.Stage.Mount;

/// <summary>
/// The mount namespace: a file tree of the sandbox's own. The stage plans a whole new root (the
/// host's system directories through an ephemeral writable layer, or a --rootfs), a fresh /proc,
/// a minimal /dev and a read-only /sys, then enters it with pivot_root and cuts the way back.
/// </summary>
public sealed class MountStage : IIsolationStage
{
    private static readonly StageOption s_rootfs = new(
        "--rootfs", "A root file system directory to run in (never changed: writes go to an ephemeral layer)")
    {
        ValueName = "DIR",
        Validate = ValidateRootfs,
    };

    private static readonly StageOption s_readOnly = new(
        "--ro", "No writable layer: the root is read-only (EROFS) except /tmp, /run and the like")
    {
        IsFlag = true,
    };

    private static readonly StageOption s_bind = new(
        "--bind", "Show a host path inside, writable unless :ro (repeatable)")
    {
        ValueName = "SRC[:DST][:ro]",
        Repeatable = true,
        Validate = value => BindRequest.Parse(value, out string? error) is null ? error : null,
    };

    private static readonly StageOption s_tmpfs = new(
        "--tmpfs", "Mount an empty tmpfs at this path inside (repeatable)")
    {
        ValueName = "DST",
        Repeatable = true,
        Validate = InsidePath.Check,
    };

    private static readonly StageOption s_workdir = new("--workdir", "The working directory inside (default: /)")
    {
        ValueName = "DIR",
        Validate = value => value == "/" ? null : InsidePath.Check(value),
    };

    /// <inheritdoc/>
    public string Name => "mount";

    /// <inheritdoc/>
    public string Summary => "a root of the sandbox's own: writes vanish, host homes and temp files are not there";

    /// <inheritdoc/>
    public string Isolates => "mount points and the file tree";

    /// <inheritdoc/>
    public int Lesson => 4;

    /// <inheritdoc/>
    public CloneFlags CloneFlag => CloneFlags.NewMount;

    /// <inheritdoc/>
    public StageOrdering Ordering => StageOrdering.None;

    /// <inheritdoc/>
    public IReadOnlyList<StageOption> Options { get; } = [s_rootfs, s_readOnly, s_bind, s_tmpfs, s_workdir];

    /// <inheritdoc/>
    public void CheckPrerequisites(StageContext context)
    {
        // clone(CLONE_NEWNS) and every mount after it need CAP_SYS_ADMIN in the user namespace that
        // owns the mount namespace: the host's, unless the user stage makes one.
        if (!context.HasPrivilege)
        {
            throw new StageFailureException(
                "create a mount namespace",
                $"clone(CLONE_NEWNS) needs CAP_SYS_ADMIN, which uid {context.Host.Uid} does not hold",
                "run as root or enable the user stage");
        }
    }

    /// <inheritdoc/>
    public void Plan(StageContext context)
    {
        RootRequest request = ReadRequest(context);
        var root = new NewRoot(context, request);

        // The order matters: mounts are private before anything is mounted, so that no mount
        // below is copied back to the host; the root's own layers come before what is mounted
        // inside them; the user's mounts come last so that they can cover anything else; and
        // pivot_root comes after every mount, because after it the host's paths are gone.
        root.MakeMountsPrivate();
        root.MountStaging();
        if (request.Rootfs is null)
        {
            root.BuildFromHostSystem();
        }
        else
        {
            root.BuildFromRootfs();
        }

        root.MountEmptyPlaces();
        root.MountProc();
        root.MountDev();
        root.MountSys();
        root.MountUserRequests();
        root.Enter();

        context.Target.WorkingDirectory = request.WorkingDirectory;
        context.Target.Root = request.Rootfs is null
            ? "the default root (the host's system directories, with /home, /root and /tmp empty)"
            : $"the rootfs {request.Rootfs}";
    }

    // Everything on the host side is checked here, before anything is cloned: a missing rootfs or
    // bind source is one line and exit 125 with nothing mounted anywhere.
    private static RootRequest ReadRequest(StageContext context)
    {
        string? rootfs = null;
        if (context.Options.Get(s_rootfs) is { } given)
        {
            rootfs = InsidePath.ResolveOnHost(given);
            if (rootfs is null || !Directory.Exists(rootfs))
            {
                throw new StageFailureException(
                    "find the rootfs",
                    $"{Path.GetFullPath(given)} is not a directory",
                    "give --rootfs an existing directory");
            }
        }

        var binds = new List<ResolvedBind>();
        foreach (string value in context.Options.GetAll(s_bind))
        {
            BindRequest bind = BindRequest.Parse(value, out _)!;
            string source = InsidePath.ResolveOnHost(bind.Source)
                ?? throw new StageFailureException(
                    $"bind {value}",
                    $"the source {Path.GetFullPath(bind.Source)} does not exist",
                    "bind an existing file or directory");
            string target = InsidePath.Normalize(bind.Target ?? source);
            if (InsidePath.Check(target) is { } bad)
            {
                throw new StageUsageException($"--bind {value}: the target {bad}");
            }

            binds.Add(new ResolvedBind(source, target, bind.ReadOnly));
        }

        return new RootRequest(
            rootfs,
            context.Options.IsSet(s_readOnly),
            binds,
            [.. context.Options.GetAll(s_tmpfs).Select(InsidePath.Normalize)],
            context.Options.Get(s_workdir) ?? "/");
    }

    // overlayfs reads its options as a comma-separated list with ':' between lower layers, so a
    // rootfs path holding either would be misread by the kernel.
    private static string? ValidateRootfs(string value) =>
        value.Length == 0 ? "the path is empty"
        : value.IndexOfAny([',', ':', '\\']) >= 0
            ? $"'{value}' contains ',', ':' or '\\', which overlayfs options cannot carry"
        : null;
}

/// <summary>What the user asked the root to be, with host paths resolved and checked.</summary>
internal sealed record RootRequest(
    string? Rootfs,
    bool ReadOnly,
    IReadOnlyList<ResolvedBind> Binds,
    IReadOnlyList<string> Tmpfs,
    string WorkingDirectory);

/// <summary>A bind with its source resolved on the host and its target normalized.</summary>
internal sealed record ResolvedBind(string Source, string Target, bool ReadOnly);
