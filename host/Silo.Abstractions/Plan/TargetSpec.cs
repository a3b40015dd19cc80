namespace Silo.Abstractions.Plan;

/// <summary>The program the sandbox runs, and how. Stages adjust it while they plan.</summary>
public sealed class TargetSpec
{
    /// <summary>The program and its arguments; the program is looked up in PATH inside.</summary>
    public List<string> Argv { get; set; } = [];

    /// <summary>The environment, as <c>NAME=value</c> strings.</summary>
    public List<string> Environment { get; set; } = [];

    /// <summary>The working directory inside; the caller's when no stage changes it.</summary>
    public string WorkingDirectory { get; set; } = "/";

    /// <summary>
    /// The root the program is looked up in, in words, for messages (for example
    /// <c>the rootfs /srv/alpine</c>); null when the sandbox sees the host's own root.
    /// </summary>
    public string? Root { get; set; }

    /// <summary>The user id the target runs as inside, or null to keep the child's.</summary>
    public int? Uid { get; set; }

    /// <summary>The group id the target runs as inside, or null to keep the child's.</summary>
    public int? Gid { get; set; }

    /// <summary>
    /// A descriptor number in the child (see <see cref="StageContext.InheritDescriptor"/>) that the
    /// target gets as its controlling terminal and its stdin, stdout and stderr; null for none.
    /// </summary>
    public int? Terminal { get; set; }
}
