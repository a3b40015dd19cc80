namespace Silo.Abstractions.Plan;

/// <summary>The <c>MS_*</c> flags of <c>mount(2)</c>, with their names for printing.</summary>
public static class MountFlags
{
    /// <summary>Read-only.</summary>
    public const ulong ReadOnly = 1;

    /// <summary>No set-user-id or set-group-id bits honoured.</summary>
    public const ulong NoSuid = 2;

    /// <summary>No device files usable.</summary>
    public const ulong NoDev = 4;

    /// <summary>No program may be executed.</summary>
    public const ulong NoExec = 8;

    /// <summary>Change the flags of an existing mount.</summary>
    public const ulong Remount = 32;

    /// <summary>Do not update access times.</summary>
    public const ulong NoAtime = 1024;

    /// <summary>Make a bind mount.</summary>
    public const ulong Bind = 4096;

    /// <summary>Move a mount.</summary>
    public const ulong Move = 8192;

    /// <summary>Apply to every mount below too.</summary>
    public const ulong Recursive = 16384;

    /// <summary>Do not share mount and unmount events with any peer.</summary>
    public const ulong Private = 1 << 18;

    /// <summary>Receive events from the peer group but send none back.</summary>
    public const ulong Slave = 1 << 19;

    /// <summary>Share events with a peer group.</summary>
    public const ulong Shared = 1 << 20;

    /// <summary>Update access times only when relevant.</summary>
    public const ulong RelAtime = 1 << 21;

    /// <summary>Always update access times.</summary>
    public const ulong StrictAtime = 1 << 24;

    private static readonly (ulong Flag, string Name)[] s_names =
    [
        (ReadOnly, "MS_RDONLY"), (NoSuid, "MS_NOSUID"), (NoDev, "MS_NODEV"), (NoExec, "MS_NOEXEC"),
        (Remount, "MS_REMOUNT"), (NoAtime, "MS_NOATIME"), (Bind, "MS_BIND"), (Move, "MS_MOVE"),
        (Recursive, "MS_REC"), (Private, "MS_PRIVATE"), (Slave, "MS_SLAVE"), (Shared, "MS_SHARED"),
        (RelAtime, "MS_RELATIME"), (StrictAtime, "MS_STRICTATIME"),
    ];

    /// <summary>For example <c>MS_BIND|MS_REC</c>, or <c>0</c>.</summary>
    public static string Format(ulong flags)
    {
        var names = s_names.Where(n => (flags & n.Flag) != 0).Select(n => n.Name).ToList();
        ulong known = s_names.Aggregate(0UL, (all, n) => all | n.Flag);
        if ((flags & ~known) != 0)
        {
            names.Add($"0x{flags & ~known:x}");
        }

        return names.Count == 0 ? "0" : string.Join('|', names);
    }
}
