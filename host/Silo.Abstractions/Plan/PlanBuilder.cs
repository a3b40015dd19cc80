namespace Silo.Abstractions.Plan;

/// <summary>
/// Collects the steps of every enabled stage, in execution order, and the target. The host makes
/// one per run and hands each stage a <see cref="StageContext"/> over it.
/// </summary>
public sealed class PlanBuilder
{
    // Descriptors 0-2 are the target's stdio, 3 carries the plan and 4 the report channel: the
    // trampoline places them there. Inherited descriptors follow from 5.
    private const int FirstInheritedDescriptor = 5;

    private readonly List<PlanStep> _steps = [];
    private readonly List<int> _inherited = [];

    /// <summary>Starts an empty plan for the target.</summary>
    public PlanBuilder(TargetSpec target)
    {
        Target = target;
    }

    /// <summary>The program the sandbox runs.</summary>
    public TargetSpec Target { get; }

    /// <summary>The host descriptors to hand on, in the order of their numbers in the child.</summary>
    public IReadOnlyList<int> InheritedDescriptors => _inherited;

    /// <summary>Adds a step.</summary>
    public void Add(PlanStep step) => _steps.Add(step);

    /// <summary>Registers a host descriptor for the child; returns its number there.</summary>
    public int Inherit(int hostDescriptor)
    {
        _inherited.Add(hostDescriptor);
        return FirstInheritedDescriptor + _inherited.Count - 1;
    }

    /// <summary>The finished plan: set-up steps in stage order, then lock-down steps.</summary>
    public ChildPlan Build(CloneFlags flags, IReadOnlyList<string> stages) => new()
    {
        CloneFlags = flags,
        Stages = [.. stages],
        Steps = [.. _steps.Where(s => s.Phase == PlanPhase.Setup), .. _steps.Where(s => s.Phase == PlanPhase.LockDown)],
        Target = Target,
    };
}
