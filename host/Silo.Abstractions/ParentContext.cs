namespace Silo.Abstractions;

/// <summary>
/// What a stage sees when the host works for the child from outside: after the clone, before the
/// child may run its plan.
/// </summary>
public sealed class ParentContext
{
    private readonly Action<Action> _onExit;

    /// <summary>Made by the host; tests make their own.</summary>
    public ParentContext(
        int childPid,
        IReadOnlySet<string> enabledStages,
        HostFacts host,
        StageOptionValues options,
        IStageLog log,
        Action<Action> onExit)
    {
        ChildPid = childPid;
        EnabledStages = enabledStages;
        Host = host;
        Options = options;
        Log = log;
        _onExit = onExit;
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
}
