using Silo.Abstractions.Plan;

namespace Silo.Abstractions;

/// <summary>
/// What a stage sees while the host plans a run: which stages are on, its own option values, the
/// caller, the target to be run, and the plan to add its steps to. One context per stage.
/// </summary>
public sealed class StageContext
{
    private readonly IReadOnlySet<string> _enabled;
    private readonly PlanBuilder _plan;

    /// <summary>Made by the host; tests make their own.</summary>
    public StageContext(
        string stageName,
        IReadOnlySet<string> enabledStages,
        bool hasPrivilege,
        HostFacts host,
        StageOptionValues options,
        PlanBuilder plan,
        IStageLog log)
    {
        StageName = stageName;
        _enabled = enabledStages;
        HasPrivilege = hasPrivilege;
        Host = host;
        Options = options;
        _plan = plan;
        Log = log;
    }

    /// <summary>The name of the stage this context belongs to.</summary>
    public string StageName { get; }

    /// <summary>The caller as the host sees it.</summary>
    public HostFacts Host { get; }

    /// <summary>
    /// True when the child will hold the capabilities that namespace setup needs: the caller is
    /// real root, or an enabled stage (the user stage) grants them inside.
    /// </summary>
    public bool HasPrivilege { get; }

    /// <summary>The values of the options the user gave.</summary>
    public StageOptionValues Options { get; }

    /// <summary>The program to run, its environment, working directory and identity inside.</summary>
    public TargetSpec Target => _plan.Target;

    /// <summary>Narration for <c>--trace</c>, and warnings.</summary>
    public IStageLog Log { get; }

    /// <summary>True when the named stage is on for this run.</summary>
    public bool IsEnabled(string stageName) => _enabled.Contains(stageName);

    /// <summary>
    /// Adds a step for the child to execute during set-up, in this stage's turn of the execution
    /// order.
    /// </summary>
    /// <param name="description">What the step does, in words, for example <c>set hostname "box"</c>.</param>
    /// <param name="operation">The primitive the child performs.</param>
    /// <param name="hint">The way out, appended to the error when the step fails.</param>
    public void AddStep(string description, Operation operation, string? hint = null) =>
        _plan.Add(new PlanStep(StageName, description, operation, PlanPhase.Setup) { Hint = hint });

    /// <summary>
    /// Adds a step that narrows what the target may do (capabilities, no_new_privs, a seccomp
    /// filter, limits). Such steps run after every set-up step, just before the target starts.
    /// </summary>
    public void AddLockDownStep(string description, Operation operation, string? hint = null) =>
        _plan.Add(new PlanStep(StageName, description, operation, PlanPhase.LockDown) { Hint = hint });

    /// <summary>
    /// Hands an open descriptor of the host to the child. Returns the number it has in the child,
    /// where the plan can name it. The host closes its own copy once the child has started.
    /// </summary>
    public int InheritDescriptor(int hostDescriptor) => _plan.Inherit(hostDescriptor);
}
