namespace Silo.Abstractions;

/// <summary>
/// What a stage sees when the host works for the child from outside: after the clone, before the
/// child may run its plan.
/// </summary>
public sealed class ParentContext
{
    private readonly Action<Action> _onExit;
    private readonly Action<StageFailureException> _onFailure;

    /// <summary>Made by the host; tests make their own.</summary>
    /// <param name="childPid">The child's process id as the host sees it.</param>
    /// <param name="enabledStages">The names of the stages that are on for this run.</param>
    /// <param name="host">The caller as the host sees it.</param>
    /// <param name="options">The values of the options the user gave.</param>
    /// <param name="log">Narration for <c>--trace</c>, and warnings.</param>
    /// <param name="onExit">Where <see cref="OnExit"/> registers its cleanup.</param>
    /// <param name="onFailure">
    /// What <see cref="Fail"/> does with a failure, on any thread; without one, it throws the
    /// failure on the caller's thread.
    /// </param>
    public ParentContext(
        int childPid,
        IReadOnlySet<string> enabledStages,
        HostFacts host,
        StageOptionValues options,
        IStageLog log,
        Action<Action> onExit,
        Action<StageFailureException>? onFailure = null)
    {
        ChildPid = childPid;
        EnabledStages = enabledStages;
        Host = host;
        Options = options;
        Log = log;
        _onExit = onExit;
        _onFailure = onFailure ?? (static failure => throw failure);
    }

    /// <summary>The child's process id as the host sees it, for <c>/proc/PID/...</c>.</summary>
    public int ChildPid { get; }

    /// <summary>The names of the stages that are on for this run.</summary>
    public IReadOnlySet<string> EnabledStages { get; }

    /// <summary>The caller as the host sees it.</summary>
    public HostFacts Host { get; }

    /// <summary>The values of the options the user gave.</summary>
    public StageOptionValues Options { get; }

    /// <summary>Narration for <c>--trace</c>, and warnings.</summary>
    public IStageLog Log { get; }

    /// <summary>
    /// Registers work for the host to do when the sandbox has ended, or when the run fails after
    /// this point: stop a helper, restore the terminal. Runs in the reverse order of registration.
    /// </summary>
    public void OnExit(Action cleanup) => _onExit(cleanup);

    /// <summary>
    /// Fails the run while the sandbox runs, from any thread: for something the stage still
    /// watches after <see cref="IIsolationStage.SetUpParent"/> has returned, such as a helper
    /// process that dies. The host ends the sandbox (<c>SIGKILL</c>), prints the failure as one
    /// line, <c>silo: STAGE: STEP: DETAIL; HINT</c>, and exits with status 125 instead of the
    /// target's. Only the first failure of a run counts. One that comes once the target has ended
    /// changes nothing but a warning: the target's status stands. Within
    /// <see cref="IIsolationStage.SetUpParent"/> itself, throw <see cref="StageFailureException"/>.
    /// </summary>
    public void Fail(StageFailureException failure) => _onFailure(failure);
}
