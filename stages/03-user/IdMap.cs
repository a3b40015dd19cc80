namespace Silo.Stage.User;

/// <summary>One line of a <c>uid_map</c> or <c>gid_map</c>: ids inside, from, and how many.</summary>
/// <param name="Inside">The first id as the sandbox sees it.</param>
/// <param name="Outside">The id it is on the host.</param>
/// <param name="Count">How many consecutive ids the line maps.</param>
public sealed record IdRange(long Inside, long Outside, long Count)
{
    /// <summary>The line as the kernel takes it: <c>0 1000 1</c>.</summary>
    public override string ToString() => $"{Inside} {Outside} {Count}";
}

/// <summary>How the stage maps ids, and who writes the maps.</summary>
public enum MapWriter
{
    /// <summary>The host writes the files itself: its own id only, or any ids as real root.</summary>
    Direct,

    /// <summary>The setuid helpers newuidmap and newgidmap write a subordinate range.</summary>
    Helpers,
}

/// <summary>The maps a run will get, and why.</summary>
/// <param name="Uids">The uid map lines.</param>
/// <param name="Gids">The gid map lines.</param>
/// <param name="Writer">Who writes them.</param>
/// <param name="DenySetgroups">True when <c>setgroups</c> must be denied first (a direct map by an unprivileged caller).</param>
/// <param name="Why">One sentence for --trace.</param>
public sealed record IdMap(IReadOnlyList<IdRange> Uids, IReadOnlyList<IdRange> Gids, MapWriter Writer, bool DenySetgroups, string Why)
{
    /// <summary>True when the id is mapped inside by the uid map.</summary>
    public bool MapsUid(long id) => Uids.Any(r => id >= r.Inside && id < r.Inside + r.Count);

    /// <summary>The map as the kernel file takes it, one line a range.</summary>
    public static string Text(IReadOnlyList<IdRange> ranges) => string.Join('\n', ranges) + "\n";
}
