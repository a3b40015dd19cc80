using System.Text.Json.Serialization;

namespace Silo.Abstractions.Plan;

/// <summary>
/// One primitive that the child-side program (silo-init) performs: nearly always one system call.
/// This is the whole vocabulary between stages and the child; a stage composes its work from these
/// and never runs code in the child itself. Every operation can say, in the syntax of C, which
/// call it makes (<see cref="Describe"/>), so that <c>silo plan</c> and <c>--trace</c> show a
/// learner exactly what happens.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(SetHostname), "sethostname")]
[JsonDerivedType(typeof(SetDomainName), "setdomainname")]
[JsonDerivedType(typeof(Mount), "mount")]
[JsonDerivedType(typeof(Unmount), "umount")]
[JsonDerivedType(typeof(MakeMountReadOnly), "mount_setattr")]
[JsonDerivedType(typeof(MakeDirectory), "mkdir")]
[JsonDerivedType(typeof(CreateFile), "create")]
[JsonDerivedType(typeof(WriteFile), "write")]
[JsonDerivedType(typeof(Symlink), "symlink")]
[JsonDerivedType(typeof(PivotRoot), "pivot_root")]
[JsonDerivedType(typeof(ChangeDirectory), "chdir")]
[JsonDerivedType(typeof(RemoveDirectory), "rmdir")]
[JsonDerivedType(typeof(LinkUp), "link-up")]
[JsonDerivedType(typeof(SetResourceLimit), "prlimit")]
[JsonDerivedType(typeof(SetNoNewPrivileges), "no_new_privs")]
[JsonDerivedType(typeof(LimitCapabilities), "capabilities")]
[JsonDerivedType(typeof(LoadSeccompFilter), "seccomp")]
[JsonDerivedType(typeof(RequireFileSystem), "statfs")]
public abstract record Operation
{
    /// <summary>The call as C would write it, for example <c>sethostname("box")</c>.</summary>
    public abstract string Describe();

    /// <summary>Quotes a string the way C source would show it.</summary>
    protected static string Quote(string? value) =>
        value is null ? "NULL" : "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
