using Silo.Abstractions;
using Silo.Abstractions.Plan;

namespace Silo.Stage.Seccomp;

/// <summary>
/// Seccomp: a filter in the kernel that every system call of the sandbox passes through, so that
/// the calls a container has no business making (keyctl, bpf, mount, new namespaces, ...) fail
/// with EPERM before the kernel code behind them runs. A hardening stage: on by default.
/// </summary>
public sealed class SeccompStage : IIsolationStage
{
    private const string Unconfined = "unconfined";

    private static readonly StageOption s_profile = new("--seccomp-profile", "A seccomp profile in Docker's JSON format, or 'unconfined' for no filter (default: silo's own)")
    {
        ValueName = "FILE",
    };

    private static readonly StageOption s_allowUserns = new("--allow-userns", "Let the program create namespaces of its own (nested user namespaces); the default profile refuses them")
    {
        IsFlag = true,
    };

    /// <inheritdoc/>
    public string Name => "seccomp";

    /// <inheritdoc/>
    public string Summary => "a system call filter: keyctl, bpf, mount, new namespaces... fail with EPERM";

    /// <inheritdoc/>
    public string Isolates => "the kernel's riskier system calls";

    /// <inheritdoc/>
    public int Lesson => 8;

    /// <inheritdoc/>
    public CloneFlags CloneFlag => CloneFlags.None;

    /// <inheritdoc/>
    // Loading a filter needs no_new_privs or CAP_SYS_ADMIN. With the nonewprivs stage the flag is
    // set just before; without it, the filter must load while silo-init still holds
    // CAP_SYS_ADMIN: before the caps stage narrows the sets, or it fails with EACCES. The filter
    // therefore already applies to the caps and limits steps (capset, prctl, prlimit64).
    public StageOrdering Ordering { get; } = new(["nonewprivs"], ["caps"]);

    /// <inheritdoc/>
    public bool EnabledByDefault => true;

    /// <inheritdoc/>
    public IReadOnlyList<StageOption> Options { get; } = [s_profile, s_allowUserns];

    /// <inheritdoc/>
    public void Plan(StageContext context)
    {
        string? profile = context.Options.Get(s_profile);
        bool allowUserns = context.Options.IsSet(s_allowUserns);
        if (!context.HasPrivilege)
        {
            if (profile is not null || allowUserns)
            {
                throw new StageUsageException("--seccomp-profile and --allow-userns act on a sandbox: enable the user stage or run as root");
            }

            context.Log.Step("no user stage and not root: no sandbox to lock down, no filter");
            return;
        }

        if (allowUserns && profile is not null)
        {
            throw new StageUsageException("--allow-userns changes silo's default profile; with --seccomp-profile the profile decides");
        }

        if (profile == Unconfined)
        {
            context.Log.Step("--seccomp-profile unconfined: no filter, every system call reaches the kernel");
            return;
        }

        SeccompProfile rules = profile is null ? DefaultProfile.Build(allowUserns) : DockerProfile.Load(profile, context.Log);
        byte[] program = Compile(rules, context);
        string name = profile ?? (allowUserns ? "default profile, nested namespaces allowed" : "default profile");
        context.AddLockDownStep($"load the seccomp filter ({name})", new LoadSeccompFilter(program),
            "turn filtering off with --seccomp-profile unconfined, or the stage with --stages all,-seccomp");
    }

    private static byte[] Compile(SeccompProfile profile, StageContext context)
    {
        try
        {
            byte[] program = profile.Compile(context.Log, out IReadOnlyList<string> unknown);
            context.Log.Step($"libseccomp compiled {profile.Rules.Count} rules for {string.Join(", ", profile.Architectures)} into {program.Length / 8} BPF instructions");
            if (unknown.Count > 0)
            {
                context.Log.Warn($"the seccomp profile names system calls this libseccomp does not know, which stay under the default action: {string.Join(", ", unknown.Distinct())}");
            }

            return program;
        }
        catch (DllNotFoundException e)
        {
            throw new StageFailureException("load libseccomp", e.Message,
                "install it with 'sudo apt-get install libseccomp2', or turn the stage off with --stages all,-seccomp");
        }
    }
}
