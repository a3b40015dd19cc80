using Silo.Abstractions;
using Silo.Native;

namespace Silo;

/// <summary>
/// The failure a stage reports with <see cref="ParentContext.Fail"/>, from any thread, after the
/// clone: the first one ends the sandbox and becomes the run's outcome in place of the target's
/// status.
/// </summary>
internal sealed class LateFailure
{
    private const int SigKill = 9;

    private readonly Lock _lock = new();
    private readonly int _child;
    private readonly bool _childIsPidOne;
    private readonly HostLog _log;
    private StageFailureException? _failure;
    private bool _released;
    private int? _target;
    private bool _ended;

    /// <param name="child">The child's pid on the host: silo-init, once it has exec'd.</param>
    /// <param name="childIsPidOne">True when the child is PID 1 of its own PID namespace.</param>
    /// <param name="log">Where a failure that comes too late to count is shown.</param>
    public LateFailure(int child, bool childIsPidOne, HostLog log)
    {
        _child = child;
        _childIsPidOne = childIsPidOne;
        _log = log;
    }

    /// <summary>The failure that ends this run, or null.</summary>
    public StageFailureException? Failure
    {
        get
        {
            lock (_lock)
            {
                return _failure;
            }
        }
    }

    public void Report(string stage, StageFailureException failure)
    {
        StageName.Mark(failure, stage);
        lock (_lock)
        {
            if (_ended)
            {
                _log.Warn(stage, $"{failure.Step} after the sandbox ended: {failure.Detail}");
                return;
            }

            if (_failure is not null)
            {
                _log.Trace(stage, $"a second failure, after the one ending the run: {failure.Message}");
                return;
            }

            _failure = failure;
            _log.Trace("host", $"{stage}: {failure.Step} failed after the clone: ending the sandbox");
            if (_released)
            {
                EndSandbox();
            }
        }
    }

    /// <summary>
    /// Called when every stage's parent-side work is done, just before the child is released:
    /// throws a failure reported meanwhile, so that the host stops as when a stage throws.
    /// </summary>
    public void Release()
    {
        lock (_lock)
        {
            if (_failure is not null)
            {
                throw _failure;
            }

            _released = true;
        }
    }

    /// <summary>The target runs with this pid (the host's, unless the child is PID 1).</summary>
    public void TargetStarted(int pid)
    {
        lock (_lock)
        {
            _target = pid;
            if (_failure is not null)
            {
                EndSandbox();
            }
        }
    }

    /// <summary>The target has ended: the outcome is known, and a failure no longer counts.</summary>
    public void TargetEnded()
    {
        lock (_lock)
        {
            _ended = true;
        }
    }

    // As PID 1 of its own PID namespace, silo-init takes every process inside with it when it
    // dies. Without one, killing silo-init would leave the target running, orphaned: the target
    // is killed instead (once it has started), and silo-init ends whatever it left behind and
    // exits, as after any end of the target.
    private void EndSandbox()
    {
        int? victim = _childIsPidOne ? _child : _target;
        if (victim is not int pid)
        {
            return;
        }

        string whom = _childIsPidOne ? "the sandbox's PID 1" : "the target";
        _log.Trace("host", $"kill({pid}, SIGKILL): {whom}");
        try
        {
            Sys.Kill(pid, SigKill);
        }
        catch (SyscallException e)
        {
            _log.Warn("host", $"end the sandbox after a failure: {e.Message}");
        }
    }
}
