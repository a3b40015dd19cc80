namespace Silo.Abstractions.Plan;

/// <summary>
/// Everything the child-side program needs, handed to it as JSON on descriptor 3: the steps in
/// the order it must perform them, and the target to start afterwards.
/// </summary>
public sealed class ChildPlan
{
    /// <summary>The namespaces the child was cloned into (for narration only).</summary>
    public CloneFlags CloneFlags { get; set; }

    /// <summary>The enabled stages in execution order (for narration only).</summary>
    public List<string> Stages { get; set; } = [];

    /// <summary>The steps, in the order the child performs them.</summary>
    public List<PlanStep> Steps { get; set; } = [];

    /// <summary>The program to run once every step has succeeded.</summary>
    public TargetSpec Target { get; set; } = new();

    /// <summary>True when the child should narrate its steps back (<c>--trace</c>).</summary>
    public bool Trace { get; set; }
}
