using Silo.Abstractions;
using Silo.Abstractions.Plan;

namespace Silo.Stage.NoNewPrivs;

/// <summary>
/// no_new_privs: once set, no exec can give the sandbox more privilege than it has. A setuid
/// binary runs with the caller's ids, file capabilities are not granted. A hardening stage: it
/// creates no namespace, and is on by default; turn it off with <c>--stages all,-nonewprivs</c>.
/// </summary>
public sealed class NoNewPrivsStage : IIsolationStage
{
    /// <inheritdoc/>
    public string Name => "nonewprivs";

    /// <inheritdoc/>
    public string Summary => "no exec inside can gain privilege: setuid bits and file capabilities are ignored";

    /// <inheritdoc/>
    public string Isolates => "privilege gained at exec (setuid, file capabilities)";

    /// <inheritdoc/>
    public int Lesson => 7;

    /// <inheritdoc/>
    public CloneFlags CloneFlag => CloneFlags.None;

    /// <inheritdoc/>
    public StageOrdering Ordering => StageOrdering.None;

    /// <inheritdoc/>
    public bool EnabledByDefault => true;

    /// <inheritdoc/>
    public IReadOnlyList<StageOption> Options { get; } = [];

    /// <inheritdoc/>
    public void Plan(StageContext context)
    {
        // Like the other hardening stages this one acts on a sandbox only: without the user stage
        // or real root silo makes none, and runs the program as a plain child.
        if (!context.HasPrivilege)
        {
            context.Log.Step("no user stage and not root: no sandbox to lock down, no_new_privs left unset");
            return;
        }

        // A lock-down step: silo-init sets the flag on itself, after set-up, and the target
        // inherits it through fork and exec. It can never be cleared again.
        context.AddLockDownStep("set no_new_privs", new SetNoNewPrivileges(),
            "turn the stage off with --stages all,-nonewprivs");
    }
}
