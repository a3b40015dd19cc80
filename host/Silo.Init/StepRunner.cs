using Silo.Abstractions.Plan;
using Silo.Native;

namespace Silo.Init;

/// <summary>Performs one primitive of the plan: a dispatch from the operation to its call.</summary>
internal static class StepRunner
{
    // What silo-init keeps for itself when it narrows the capabilities it hands on (all three
    // are in the default set anyway): CAP_SETGID and CAP_SETUID for the trampoline's setgroups,
    // setresgid and setresuid before the exec of a target with --uid/--gid, and CAP_KILL to
    // forward signals to, and at the end kill, a target or orphans that run as another uid.
    // A target that keeps uid 0 is bounded by the bounding set at exec; one that changes uid
    // loses its permitted and effective sets in setresuid. Neither gets these through init.
    private const ulong KeepForInit = 1UL << 5 | 1UL << 6 | 1UL << 7;

    /// <summary>Performs one step. Resource limits are collected in <paramref name="targetLimits"/>.</summary>
    public static void Execute(Operation operation, List<(string Resource, ulong Soft, ulong Hard)> targetLimits)
    {
        switch (operation)
        {
            case SetHostname op:
                Sys.SetHostname(op.Name);
                break;
            case SetDomainName op:
                Sys.SetDomainName(op.Name);
                break;
            case Mount op when op.InsideRoot is null:
                Sys.Mount(op.Source, op.Target, op.FileSystemType, op.Flags, op.Data);
                break;
            case Mount { InsideRoot: { } root } op:
                MountInsideRoot(op, root);
                break;
            case MakeMountReadOnly op:
                MakeMountReadOnly(op);
                break;
            case Unmount op:
                Sys.Unmount(op.Target, op.Detach);
                break;
            case MakeDirectory op:
                Sys.MakeDirectory(op.Path, op.Mode);
                break;
            case CreateFile op:
                Sys.CreateFile(op.Path, op.Mode);
                break;
            case WriteFile op:
                Sys.WriteFile(op.Path, op.Content);
                break;
            case Symlink op:
                Sys.Symlink(op.Target, op.LinkPath);
                break;
            case PivotRoot op:
                Sys.PivotRoot(op.NewRoot, op.PutOld);
                Sys.ChangeDirectory("/");
                break;
            case ChangeDirectory op:
                Sys.ChangeDirectory(op.Path);
                break;
            case RemoveDirectory op:
                Sys.RemoveDirectory(op.Path);
                break;
            case RequireFileSystem op:
                RequireFileSystem(op);
                break;
            case SetResourceLimit op:
                // Set on the target alone, in the trampoline just before exec: the limits meant
                // for a program (address space, processes) would stop silo-init's runtime from
                // forking it. A raise of the hard limit is checked here, where it can fail by name.
                Sys.RaiseHardLimit(op.Resource, op.Hard);
                targetLimits.Add((op.Resource, op.Soft, op.Hard));
                break;
            case SetNoNewPrivileges:
                Sys.SetNoNewPrivileges();
                break;
            case LimitCapabilities op:
                Sys.LimitCapabilities(op.Keep, KeepForInit);
                break;
            case LoadSeccompFilter op:
                Sys.LoadSeccompFilter(op.Program);
                break;
            case LinkUp op:
                Sys.LinkUp(op.Interface);
                break;
            default:
                throw new NotSupportedException(
                    $"silo-init cannot perform '{operation.Describe()}' yet: this build has no executor for {operation.GetType().Name}");
        }
    }

    // The target is opened inside the root first, then the mount is made on the descriptor's magic
    // link, so the place checked is the place mounted on (see InsideRoot). A bind of anything but
    // a directory needs a file to land on; everything else mounts on a directory.
    private static void MountInsideRoot(Mount op, string root)
    {
        bool bindsFile = (op.Flags & MountFlags.Bind) != 0 && op.Source is not null &&
            Sys.KindOf(op.Source) is not (FileKind.Directory or FileKind.Missing);
        bool create = (op.Flags & MountFlags.Remount) == 0;
        int fd = InsideRoot.Open(root, op.Target, create, bindsFile ? FileKind.Other : FileKind.Directory);
        try
        {
            string shown = $"{root} :: {op.Target}";
            Sys.MountShownAs(op.Source, $"/proc/self/fd/{fd}", op.FileSystemType, op.Flags, op.Data, shown);
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    private static void MakeMountReadOnly(MakeMountReadOnly op)
    {
        int fd = op.InsideRoot is null
            ? Sys.OpenPath(op.Target)
            : InsideRoot.Open(op.InsideRoot, op.Target, create: false, FileKind.Directory);
        try
        {
            string shown = op.InsideRoot is null ? op.Target : $"{op.InsideRoot} :: {op.Target}";
            Sys.MakeMountReadOnly(fd, op.Recursive, shown);
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    private static void RequireFileSystem(RequireFileSystem op)
    {
        if (File.ResolveLinkTarget(op.Path, returnFinalTarget: false) is not null)
        {
            throw new NotSupportedException($"{op.Path} is a symbolic link, not a {op.FileSystem} file system");
        }

        long type = Sys.FileSystemType(op.Path);
        if (type != op.Magic)
        {
            throw new NotSupportedException($"{op.Path} is not a {op.FileSystem} file system (statfs type 0x{type:x})");
        }
    }
}
