namespace Silo.Abstractions;

/// <summary>Prints clone flags the way the kernel's headers name them.</summary>
public static class CloneFlagNames
{
    private static readonly (CloneFlags Flag, string Name)[] s_names =
    [
        (CloneFlags.NewUser, "CLONE_NEWUSER"),
        (CloneFlags.NewPid, "CLONE_NEWPID"),
        (CloneFlags.NewNet, "CLONE_NEWNET"),
        (CloneFlags.NewMount, "CLONE_NEWNS"),
        (CloneFlags.NewUts, "CLONE_NEWUTS"),
        (CloneFlags.NewIpc, "CLONE_NEWIPC"),
        (CloneFlags.NewCgroup, "CLONE_NEWCGROUP"),
    ];

    /// <summary>For example <c>CLONE_NEWUSER|CLONE_NEWUTS</c>, or <c>0</c> for none.</summary>
    public static string Format(CloneFlags flags)
    {
        var names = s_names.Where(n => flags.HasFlag(n.Flag)).Select(n => n.Name).ToList();
        return names.Count == 0 ? "0" : string.Join('|', names);
    }
}
