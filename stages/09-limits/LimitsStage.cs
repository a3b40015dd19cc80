using Silo.Abstractions;
using Silo.Abstractions.Plan;

namespace Silo.Stage.Limits;

/// <summary>
/// Resource limits: <c>--ulimit name=soft[:hard]</c> sets a limit of the sandbox's (open files,
/// processes, core size, ...) before the program starts, as <c>docker run --ulimit</c> does. A
/// hardening stage: on by default, and without <c>--ulimit</c> it changes nothing.
/// </summary>
public sealed class LimitsStage : IIsolationStage
{
    private static readonly StageOption s_ulimit = new("--ulimit", "A resource limit: NAME=SOFT[:HARD] (nofile, nproc, core, as, cpu, fsize, memlock, stack, ...), a number or unlimited")
    {
        ValueName = "NAME=SOFT[:HARD]",
        Repeatable = true,
        Validate = v => ResourceLimit.TryParse(v, out _, out string? problem) ? null : problem,
    };

    /// <inheritdoc/>
    public string Name => "limits";

    /// <inheritdoc/>
    public string Summary => "resource limits of the sandbox's own (--ulimit nofile=64)";

    /// <inheritdoc/>
    public string Isolates => "resource limits";

    /// <inheritdoc/>
    public int Lesson => 9;

    /// <inheritdoc/>
    public CloneFlags CloneFlag => CloneFlags.None;

    /// <inheritdoc/>
    public StageOrdering Ordering => StageOrdering.None;

    /// <inheritdoc/>
    public bool EnabledByDefault => true;

    /// <inheritdoc/>
    public IReadOnlyList<StageOption> Options { get; } = [s_ulimit];

    /// <inheritdoc/>
    public void Plan(StageContext context)
    {
        IReadOnlyList<string> values = context.Options.GetAll(s_ulimit);
        if (!context.HasPrivilege)
        {
            if (values.Count > 0)
            {
                throw new StageUsageException("--ulimit acts on a sandbox: enable the user stage or run as root");
            }

            context.Log.Step("no user stage and not root: no sandbox, limits left as they are");
            return;
        }

        if (values.Count == 0)
        {
            context.Log.Step("no --ulimit: the program inherits silo's limits");
            return;
        }

        // The last value for a name wins, as on docker's command line.
        var limits = new Dictionary<string, ResourceLimit>();
        foreach (string value in values)
        {
            ResourceLimit.TryParse(value, out ResourceLimit? limit, out _);
            limits[limit!.Name] = limit;
        }

        foreach (ResourceLimit limit in limits.Values)
        {
            // The limit binds the target alone. In this step silo-init only raises its own hard
            // limit when the new one is higher, so that a limit it cannot grant fails here, by
            // name; the C trampoline (silo_spawn_target) then sets soft and hard with prlimit in
            // the forked target just before exec. A limit sized for the program (as, nproc)
            // would stop silo-init's .NET runtime from forking at all.
            context.AddLockDownStep(
                $"limit {limit.Name} to {limit}",
                new SetResourceLimit(limit.Name, limit.Soft, limit.Hard),
                "a hard limit can be raised only with CAP_SYS_RESOURCE on the host, and nofile never above /proc/sys/fs/nr_open: " +
                "ask for one no higher than 'ulimit -H' shows outside");
        }
    }
}
