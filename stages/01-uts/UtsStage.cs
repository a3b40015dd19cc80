using System.Text;
using Silo.Abstractions;
using Silo.Abstractions.Plan;

namespace Silo.Stage.Uts;

/// <summary>
/// The UTS namespace: a hostname and NIS domain name of the sandbox's own. The simplest namespace,
/// and the first lesson: one clone flag, one system call in the child.
/// </summary>
public sealed class UtsStage : IIsolationStage
{
    // The kernel keeps each name in a 65-byte buffer with its terminating NUL (__NEW_UTS_LEN).
    private const int MaxNameBytes = 64;

    private static readonly StageOption s_hostname = new("--hostname", "The hostname inside (default: a copy of the host's)")
    {
        ValueName = "NAME",
        Validate = ValidateName,
    };

    private static readonly StageOption s_domainname = new("--domainname", "The NIS domain name inside (default: a copy of the host's)")
    {
        ValueName = "NAME",
        Validate = ValidateName,
    };

    /// <inheritdoc/>
    public string Name => "uts";

    /// <inheritdoc/>
    public string Summary => "a hostname and domain name of the sandbox's own";

    /// <inheritdoc/>
    public string Isolates => "hostname and domain name";

    /// <inheritdoc/>
    public int Lesson => 1;

    /// <inheritdoc/>
    public CloneFlags CloneFlag => CloneFlags.NewUts;

    /// <inheritdoc/>
    public StageOrdering Ordering => StageOrdering.None;

    /// <inheritdoc/>
    public IReadOnlyList<StageOption> Options { get; } = [s_hostname, s_domainname];

    /// <inheritdoc/>
    public void CheckPrerequisites(StageContext context)
    {
        // clone(CLONE_NEWUTS) and sethostname both need CAP_SYS_ADMIN in the user namespace that
        // owns the UTS namespace. Without a user namespace of our own, that is the host's: only
        // real root has it, and clone would fail with EPERM.
        if (!context.HasPrivilege)
        {
            throw new StageFailureException(
                "create a UTS namespace",
                $"clone(CLONE_NEWUTS) needs CAP_SYS_ADMIN, which uid {context.Host.Uid} does not hold",
                "run as root or enable the user stage");
        }
    }

    /// <inheritdoc/>
    public void Plan(StageContext context)
    {
        // The new namespace starts as a copy of the host's names; each is only changed when asked.
        if (context.Options.Get(s_hostname) is { } hostname)
        {
            context.AddStep($"set hostname \"{hostname}\"", new SetHostname(hostname), Hint);
        }
        else
        {
            context.Log.Step("no --hostname: the sandbox keeps a copy of the host's hostname");
        }

        if (context.Options.Get(s_domainname) is { } domainname)
        {
            context.AddStep($"set domain name \"{domainname}\"", new SetDomainName(domainname), Hint);
        }
    }

    private const string Hint = "run as root or enable the user stage";

    // A hostname is labels of letters, digits and hyphens joined by dots (RFC 1123), at most 64
    // bytes in all for the kernel. The kernel itself would take any bytes; refusing the rest here
    // keeps a typo from reaching programs that trust the hostname to be well formed.
    private static string? ValidateName(string name)
    {
        if (name.Length == 0)
        {
            return "the name is empty";
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            return $"the name is {Encoding.UTF8.GetByteCount(name)} bytes; the kernel allows at most {MaxNameBytes}";
        }

        foreach (string label in name.Split('.'))
        {
            if (label.Length == 0 || label.StartsWith('-') || label.EndsWith('-') ||
                !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return "a name is labels of letters, digits and inner hyphens, joined by single dots (for example box or box-1.lab)";
            }
        }

        return null;
    }
}
