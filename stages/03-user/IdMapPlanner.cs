using Silo.Abstractions;

namespace Silo.Stage.User;

/// <summary>
/// Chooses the maps for a run from who the caller is and what the system allows: a pure decision,
/// so that it can be tested without namespaces.
/// </summary>
public static class IdMapPlanner
{
    /// <summary>The range root's sandbox gets when /etc/subuid names none for root: 100000-165535.</summary>
    public static readonly (long First, long Count) RootDefault = (100_000, 65_536);

    /// <summary>What the planner needs to know about the system.</summary>
    /// <param name="SubUid">The text of /etc/subuid.</param>
    /// <param name="SubGid">The text of /etc/subgid.</param>
    /// <param name="HelpersInstalled">True when newuidmap and newgidmap exist.</param>
    /// <param name="InInitialUserNamespace">
    /// False when silo itself runs inside a user namespace (in a container, or in silo): uid 0
    /// there is root of that namespace only, and the host's ranges do not exist in it.
    /// </param>
    public sealed record SystemIds(
        string SubUid, string SubGid, bool HelpersInstalled, bool InInitialUserNamespace = true);

    /// <summary>Chooses the maps, or throws <see cref="StageUsageException"/> or <see cref="StageFailureException"/>.</summary>
    public static IdMap Choose(HostFacts host, string mode, bool mapHostRoot, SystemIds system)
    {
        if (host.IsRealRoot && system.InInitialUserNamespace)
        {
            return ForRoot(host, mode, mapHostRoot, system);
        }

        if (mapHostRoot)
        {
            throw new StageUsageException("--map-host-root needs real root: an ordinary user cannot map the host's root" +
                (host.IsRealRoot ? ", and uid 0 here is root of a user namespace silo runs in, not of the host" : ""));
        }

        if (host.IsRealRoot)
        {
            // Root of an enclosing user namespace: 100000 and the host's ranges are not ids of
            // that namespace, so the only map sure to exist is its own root, as for an ordinary
            // user. That namespace already keeps the sandbox from the host.
            return new IdMap(
                [new IdRange(0, 0, 1)], [new IdRange(0, 0, 1)], MapWriter.Direct, DenySetgroups: false,
                "silo runs inside a user namespace: root inside is that namespace's root, and no other id exists inside");
        }

        var subUid = SubordinateIds.Find(system.SubUid, host.UserName, host.Uid);
        var subGid = SubordinateIds.Find(system.SubGid, host.UserName, host.Uid);
        bool rangePossible = system.HelpersInstalled && subUid is not null && subGid is not null;
        if (mode == "range" && !rangePossible)
        {
            throw new StageFailureException(
                "map a range of ids",
                RangeProblem(host, subUid is null, subGid is null, system.HelpersInstalled),
                "or use --userns single");
        }

        if (mode == "single" || !rangePossible)
        {
            return new IdMap(
                [new IdRange(0, host.Uid, 1)], [new IdRange(0, host.Gid, 1)], MapWriter.Direct, DenySetgroups: true,
                $"root inside is uid {host.Uid} outside, and no other id exists inside" +
                (mode == "auto" ? " (no subordinate range for this user, or no newuidmap)" : ""));
        }

        // The caller's own id stays root inside; the subordinate range fills the ids from 1.
        return new IdMap(
            [new IdRange(0, host.Uid, 1), new IdRange(1, subUid!.Value.First, subUid.Value.Count)],
            [new IdRange(0, host.Gid, 1), new IdRange(1, subGid!.Value.First, subGid.Value.Count)],
            MapWriter.Helpers, DenySetgroups: false,
            $"root inside is uid {host.Uid} outside; ids 1-{subUid.Value.Count} are the subordinate range from {subUid.Value.First}");
    }

    private static IdMap ForRoot(HostFacts host, string mode, bool mapHostRoot, SystemIds system)
    {
        if (mapHostRoot)
        {
            var all = new IdRange(0, 0, uint.MaxValue);
            return new IdMap([all], [all], MapWriter.Direct, DenySetgroups: false,
                "--map-host-root: every id inside is the same id on the host; root inside IS root outside");
        }

        var uids = SubordinateIds.Find(system.SubUid, host.UserName, host.Uid) ?? RootDefault;
        var gids = SubordinateIds.Find(system.SubGid, host.UserName, host.Uid) ?? RootDefault;
        long uidCount = mode == "single" ? 1 : uids.Count;
        long gidCount = mode == "single" ? 1 : gids.Count;
        return new IdMap(
            [new IdRange(0, uids.First, uidCount)], [new IdRange(0, gids.First, gidCount)], MapWriter.Direct, DenySetgroups: false,
            $"caller is real root: root inside is the unprivileged uid {uids.First} outside, never host root");
    }

    private static string RangeProblem(HostFacts host, bool noSubUid, bool noSubGid, bool helpers)
    {
        if (!helpers)
        {
            return "newuidmap and newgidmap are not installed; install them with 'sudo apt-get install uidmap'";
        }

        string files = (noSubUid, noSubGid) switch
        {
            (true, true) => "/etc/subuid and /etc/subgid have",
            (true, false) => "/etc/subuid has",
            _ => "/etc/subgid has",
        };
        return $"{files} no range for {host.UserName} (uid {host.Uid}); add one with " +
               $"'sudo usermod --add-subuids 200000-265535 --add-subgids 200000-265535 {host.UserName}'";
    }
}
