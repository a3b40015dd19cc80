using System.Collections;
using Silo.Abstractions;
using Silo.Abstractions.Plan;

namespace Silo;

/// <summary>A plan ready to run: the child's plan and the builder that holds the descriptors to hand on.</summary>
internal sealed record PlannedRun(ChildPlan Plan, PlanBuilder Builder)
{
    /// <summary>The host descriptors the child gets, in the order of their numbers there.</summary>
    public IReadOnlyList<int> InheritedDescriptors => Builder.InheritedDescriptors;
}

/// <summary>
/// Policy in the host: asks each enabled stage, in execution order, first whether it can work
/// here at all, then for its steps. Nothing is created until every stage has said yes.
/// </summary>
internal static class Planner
{
    public static PlannedRun Build(
        Invocation invocation, HostFacts host, HostLog log, IEnumerable<IIsolationStage>? known = null)
    {
        var names = invocation.Stages.Select(s => s.Name).ToHashSet();
        bool privileged = host.IsRealRoot || invocation.Stages.Any(s => s.GrantsPrivilege);
        var target = new TargetSpec
        {
            Argv = [.. invocation.Command],
            Environment = CurrentEnvironment(),
            WorkingDirectory = Environment.CurrentDirectory,
        };
        string order = names.Count == 0 ? "(none)" : string.Join(", ", invocation.Stages.Select(s => s.Name));
        log.Trace("host", $"stages in execution order: {order}");

        // A stage that is off cannot narrate: the host says what the sandbox shares because of it.
        var shared = (known ?? []).Where(s => !names.Contains(s.Name)).Select(s => $"{s.Isolates} ({s.Name})");
        log.Trace("host", "shared with the host: " + string.Join("; ", shared.DefaultIfEmpty("nothing")));
        var builder = new PlanBuilder(target);
        var contexts = invocation.Stages
            .Select(s => (Stage: s, Context: new StageContext(
                s.Name, names, privileged, host, invocation.Options, builder, log.For(s.Name))))
            .ToList();

        foreach (var (stage, context) in contexts)
        {
            StageName.Attach(stage, "check prerequisites", () => stage.CheckPrerequisites(context));
        }

        foreach (var (stage, context) in contexts)
        {
            StageName.Attach(stage, "plan", () => stage.Plan(context));
        }

        var flags = invocation.Stages.Aggregate(CloneFlags.None, (all, s) => all | s.CloneFlag);
        ChildPlan plan = builder.Build(flags, [.. invocation.Stages.Select(s => s.Name)]);
        plan.Trace = invocation.Trace;
        return new PlannedRun(plan, builder);
    }

    private static List<string> CurrentEnvironment() =>
        Environment.GetEnvironmentVariables()
            .Cast<DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}")
            .Order(StringComparer.Ordinal)
            .ToList();
}
