using Silo.Abstractions;
using Silo.Abstractions.Plan;

namespace Silo.Stage.Caps;

/// <summary>
/// Capabilities: root inside keeps only the default set a container gets (CHOWN, KILL, SETUID,
/// NET_BIND_SERVICE, ...), not every capability of its user namespace (or, as real root without
/// one, of the host). A hardening stage: it creates no namespace, and is on by default.
/// </summary>
public sealed class CapsStage : IIsolationStage
{
    private const string LastCapabilityFile = "/proc/sys/kernel/cap_last_cap";

    private static readonly StageOption s_add = new("--cap-add", "Capabilities the program keeps besides the default set: NAME[,NAME...] (CAP_ prefix optional) or ALL")
    {
        ValueName = "CAPS",
        Repeatable = true,
        Validate = CapabilitySet.Validate,
    };

    private static readonly StageOption s_drop = new("--cap-drop", "Capabilities of the default set the program does not keep: NAME[,NAME...] or ALL")
    {
        ValueName = "CAPS",
        Repeatable = true,
        Validate = CapabilitySet.Validate,
    };

    /// <inheritdoc/>
    public string Name => "caps";

    /// <inheritdoc/>
    public string Summary => "root inside keeps only a container's default capabilities";

    /// <inheritdoc/>
    public string Isolates => "every capability beyond the default set";

    /// <inheritdoc/>
    public int Lesson => 6;

    /// <inheritdoc/>
    public CloneFlags CloneFlag => CloneFlags.None;

    /// <inheritdoc/>
    public StageOrdering Ordering => StageOrdering.None;

    /// <inheritdoc/>
    public bool EnabledByDefault => true;

    /// <inheritdoc/>
    public IReadOnlyList<StageOption> Options { get; } = [s_add, s_drop];

    /// <inheritdoc/>
    public void Plan(StageContext context)
    {
        // Without the user stage or real root there is no capability to narrow: an ordinary
        // user's child holds none, and PR_CAPBSET_DROP itself would need CAP_SETPCAP.
        if (!context.HasPrivilege)
        {
            if (context.Options.IsSet(s_add) || context.Options.IsSet(s_drop))
            {
                throw new StageUsageException("--cap-add and --cap-drop act on the privilege a sandbox holds: enable the user stage or run as root");
            }

            context.Log.Step("no user stage and not root: the program holds no capability, nothing to narrow");
            return;
        }

        int last = LastCapability();
        ulong keep = CapabilitySet.Compute(context.Options.GetAll(s_add), context.Options.GetAll(s_drop), last);
        context.Log.Step($"capabilities 0-{last} known to this kernel; the program keeps {CapabilitySet.Names(keep)}");
        if (context.Target.Uid is int uid && uid != 0)
        {
            context.Log.Step($"the program runs as uid {uid}: setresuid away from 0 clears its permitted and effective sets anyway");
        }

        context.AddLockDownStep(
            $"limit capabilities to {CapabilitySet.Names(keep)}",
            new LimitCapabilities(keep),
            "turn the stage off with --stages all,-caps to see whether it is the cause");
    }

    // Read in the host, whose /proc is the kernel's: the child reads no /proc for this (it asks
    // the kernel with PR_CAPBSET_READ), so a rootfs cannot lie to it about the last capability.
    private static int LastCapability()
    {
        try
        {
            return int.Parse(File.ReadAllText(LastCapabilityFile).Trim());
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            throw new StageFailureException("read the last capability", $"{LastCapabilityFile}: {e.Message}", "mount /proc on the host");
        }
    }
}
