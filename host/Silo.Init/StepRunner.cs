using Silo.Abstractions.Plan;
using Silo.Native;

namespace Silo.Init;

/// <summary>Performs one primitive of the plan: a dispatch from the operation to its call.</summary>
internal static class StepRunner
{
    public static void Execute(Operation operation)
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
            case LinkUp op:
                Sys.LinkUp(op.Interface);
                break;
            default:
                throw new NotSupportedException(
                    $"silo-init cannot perform '{operation.Describe()}' yet: this build has no executor for {operation.GetType().Name}");
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
