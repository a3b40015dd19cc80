namespace Silo.Abstractions.Plan;

/// <summary>When a step runs in the child.</summary>
public enum PlanPhase
{
    /// <summary>Building the sandbox: mounts, names, links. Runs first, in stage order.</summary>
    Setup,

    /// <summary>
    /// Narrowing what the target may do: capabilities, no_new_privs, seccomp, limits. Runs after
    /// every set-up step, so that set-up keeps the privilege it needs.
    /// </summary>
    LockDown,
}
