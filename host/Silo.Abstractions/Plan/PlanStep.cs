namespace Silo.Abstractions.Plan;

/// <summary>One step of the plan: who asked for it, why, and the primitive that does it.</summary>
/// <param name="Stage">The stage that added the step.</param>
/// <param name="Description">What it does, in words: <c>set hostname "box"</c>.</param>
/// <param name="Operation">The primitive the child performs.</param>
/// <param name="Phase">Set-up or lock-down.</param>
public sealed record PlanStep(string Stage, string Description, Operation Operation, PlanPhase Phase)
{
    /// <summary>The way out, appended to the error when the step fails.</summary>
    public string? Hint { get; init; }
}
