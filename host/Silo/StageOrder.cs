using Silo.Abstractions;

namespace Silo;

/// <summary>
/// Puts the enabled stages in execution order. Each stage's <see cref="StageOrdering"/> gives
/// edges (this stage before that one); the order is a topological sort of those edges that,
/// whenever several stages are free to go next, takes the lowest lesson number first. The order
/// the user names the stages in never matters.
/// </summary>
internal static class StageOrder
{
    public static IReadOnlyList<IIsolationStage> Sort(IReadOnlyCollection<IIsolationStage> stages)
    {
        var byName = stages.ToDictionary(s => s.Name);
        var after = stages.ToDictionary(s => s.Name, _ => new HashSet<string>());
        foreach (IIsolationStage stage in stages)
        {
            foreach (string earlier in Expand(stage.Ordering.After, stage, byName))
            {
                after[stage.Name].Add(earlier);
            }

            foreach (string later in Expand(stage.Ordering.Before, stage, byName))
            {
                after[later].Add(stage.Name);
            }
        }

        // A wildcard yields to an explicit constraint the other way: "user before everything"
        // must not fight "mount after user". Only edges both stages insist on form a cycle.
        RemoveWildcardConflicts(stages, after);

        var order = new List<IIsolationStage>();
        var pending = new HashSet<string>(byName.Keys);
        while (pending.Count > 0)
        {
            IIsolationStage? next = pending
                .Where(n => after[n].All(e => !pending.Contains(e)))
                .Select(n => byName[n])
                .OrderBy(s => s.Lesson).ThenBy(s => s.Name, StringComparer.Ordinal)
                .FirstOrDefault();
            if (next is null)
            {
                throw new InvalidOperationException(
                    $"the ordering constraints of stages {string.Join(", ", pending.Order())} form a cycle; " +
                    "fix the Ordering of one of these plugins");
            }

            order.Add(next);
            pending.Remove(next.Name);
        }

        return order;
    }

    private static IEnumerable<string> Expand(
        IReadOnlyList<string> names, IIsolationStage self, Dictionary<string, IIsolationStage> enabled) =>
        names.Contains(StageOrdering.Everything)
            ? enabled.Keys.Where(n => n != self.Name)
            : names.Where(n => n != self.Name && enabled.ContainsKey(n));

    private static void RemoveWildcardConflicts(
        IReadOnlyCollection<IIsolationStage> stages, Dictionary<string, HashSet<string>> after)
    {
        foreach (IIsolationStage a in stages)
        {
            foreach (IIsolationStage b in stages)
            {
                // An edge "a before b" that came from a wildcard is dropped when b explicitly
                // wants to come before a.
                bool explicitBFirst = b.Ordering.Before.Contains(a.Name) || a.Ordering.After.Contains(b.Name);
                bool explicitAFirst = a.Ordering.Before.Contains(b.Name) || b.Ordering.After.Contains(a.Name);
                bool wildcardAFirst = a.Ordering.Before.Contains(StageOrdering.Everything) ||
                                      b.Ordering.After.Contains(StageOrdering.Everything);
                if (explicitBFirst && wildcardAFirst && !explicitAFirst)
                {
                    after[b.Name].Remove(a.Name);
                }
            }
        }
    }
}
