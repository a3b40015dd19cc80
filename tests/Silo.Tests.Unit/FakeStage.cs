using Silo.Abstractions;
using Silo.Abstractions.Plan;

namespace Silo.Tests.Unit;

/// <summary>A stage with whatever name, flag and ordering a test needs; plans one write step.</summary>
internal sealed class FakeStage(string name, int lesson, CloneFlags flag, StageOrdering? ordering = null) : IIsolationStage
{
    public string Name => name;

    public string Summary => $"fake {name}";

    public string Isolates => $"{name} things";

    public int Lesson => lesson;

    public CloneFlags CloneFlag => flag;

    public StageOrdering Ordering => ordering ?? StageOrdering.None;

    public IReadOnlyList<StageOption> Options { get; init; } = [];

    public bool GrantsPrivilege { get; init; }

    /// <summary>What planning does instead of its one step, for a test of a faulty plugin.</summary>
    public Action<StageContext>? OnPlan { get; init; }

    public void Plan(StageContext context)
    {
        if (OnPlan is not null)
        {
            OnPlan(context);
            return;
        }

        context.AddStep($"{name} step", new WriteFile($"/{name}", name));
    }

    public static FakeStage User() => new("user", 3, CloneFlags.NewUser, StageOrdering.First) { GrantsPrivilege = true };

    public static FakeStage Uts() => new("uts", 1, CloneFlags.NewUts);

    public static FakeStage Pid() => new("pid", 2, CloneFlags.NewPid);

    public static FakeStage Mount() => new("mount", 4, CloneFlags.NewMount);

    public static FakeStage Net() => new("net", 5, CloneFlags.NewNet, StageOrdering.Last);
}
