using Silo.Abstractions;

namespace Silo.Stage.Pid;

/// <summary>
/// The PID namespace: process ids of the sandbox's own, starting at 1. Its first process, silo-init,
/// becomes PID 1 inside and takes on an init's duties (reaping orphans, passing signals on); the
/// target runs as its child, PID 2. When PID 1 exits, the kernel ends every process left inside.
/// </summary>
public sealed class PidStage : IIsolationStage
{
    private const string Hint = "run as root or enable the user stage";

    /// <inheritdoc/>
    public string Name => "pid";

    /// <inheritdoc/>
    public string Summary => "process ids of the sandbox's own, with silo-init as PID 1";

    /// <inheritdoc/>
    public string Isolates => "process ids and the processes one can see and signal";

    /// <inheritdoc/>
    public int Lesson => 2;

    /// <inheritdoc/>
    public CloneFlags CloneFlag => CloneFlags.NewPid;

    /// <inheritdoc/>
    public StageOrdering Ordering => StageOrdering.None;

    /// <inheritdoc/>
    public IReadOnlyList<StageOption> Options { get; } = [];

    /// <inheritdoc/>
    public void CheckPrerequisites(StageContext context)
    {
        // clone(CLONE_NEWPID) needs CAP_SYS_ADMIN in the user namespace that will own the new PID
        // namespace: the host's for an ordinary user without the user stage, so clone would fail
        // with EPERM.
        if (!context.HasPrivilege)
        {
            throw new StageFailureException(
                "create a PID namespace",
                $"clone(CLONE_NEWPID) needs CAP_SYS_ADMIN, which uid {context.Host.Uid} does not hold",
                Hint);
        }
    }

    /// <inheritdoc/>
    public void Plan(StageContext context)
    {
        // The namespace itself needs no step in the child: the clone flag creates it, and
        // silo-init, the first process in it, is PID 1 from its first instruction.
        context.Log.Step("clone(CLONE_NEWPID): silo-init is PID 1 inside and the target PID 2");

        // /proc shows the PID namespace of the process that mounted it, not of the reader. A new
        // PID namespace on the host's /proc therefore still lists (and names) every host process:
        // only a fresh proc mount, which needs a mount namespace of our own, shows the sandbox's.
        if (!context.IsEnabled("mount"))
        {
            context.Log.Warn(
                "/proc still shows the host's processes (ps, top, /proc/PID); enable the mount stage for a /proc of the sandbox's own");
        }
    }
}
