namespace Silo.Stage.Caps;

/// <summary>
/// Capability names and the set a target keeps: the default set, widened by <c>--cap-add</c> and
/// narrowed by <c>--cap-drop</c>. A set is a bit mask; bit N is capability number N.
/// </summary>
public static class CapabilitySet
{
    // linux/capability.h, in number order: the index is the capability's number.
    private static readonly string[] s_names =
    [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ];

    /// <summary>
    /// The set container runtimes give a container by default (Docker, Podman and containerd
    /// agree on it): enough for a package manager and a web server to work as root, nothing that
    /// administers the kernel (no SYS_ADMIN, SYS_MODULE, SYS_PTRACE, NET_ADMIN, SYS_TIME...).
    /// </summary>
    public static IReadOnlyList<string> Default { get; } =
    [
        "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP",
    ];

    /// <summary>The number of a capability, named with or without <c>CAP_</c> in any case; null when unknown.</summary>
    public static int? Number(string name)
    {
        string bare = name.Trim().ToUpperInvariant();
        bare = bare.StartsWith("CAP_", StringComparison.Ordinal) ? bare[4..] : bare;
        int index = Array.IndexOf(s_names, bare);
        return index < 0 ? null : index;
    }

    /// <summary>The names in a mask, for messages: <c>CHOWN,KILL</c>, or <c>none</c>.</summary>
    public static string Names(ulong mask)
    {
        var names = Enumerable.Range(0, 64).Where(i => (mask & (1UL << i)) != 0)
            .Select(i => i < s_names.Length ? s_names[i] : $"cap{i}");
        string text = string.Join(",", names);
        return text.Length == 0 ? "none" : text;
    }

    /// <summary>
    /// Checks one value of <c>--cap-add</c> or <c>--cap-drop</c>: comma-separated names or ALL.
    /// Returns null when valid, else what is wrong.
    /// </summary>
    public static string? Validate(string value)
    {
        foreach (string item in Split(value))
        {
            if (!IsAll(item) && Number(item) is null)
            {
                return $"unknown capability '{item}': a name from capabilities(7) such as NET_ADMIN or CAP_SYS_TIME, or ALL";
            }
        }

        return Split(value).Any() ? null : "no capability named";
    }

    /// <summary>
    /// The set the target keeps. Starts from the default set, or from every capability when an
    /// add says ALL, or from none when a drop says ALL; then adds the named adds and removes the
    /// named drops. A name both added and dropped is refused: it is not clear what was meant.
    /// </summary>
    /// <param name="adds">The values of <c>--cap-add</c>.</param>
    /// <param name="drops">The values of <c>--cap-drop</c>.</param>
    /// <param name="lastCapability">The highest capability this kernel knows.</param>
    public static ulong Compute(IEnumerable<string> adds, IEnumerable<string> drops, int lastCapability)
    {
        var added = adds.SelectMany(Split).ToList();
        var dropped = drops.SelectMany(Split).ToList();
        ulong all = lastCapability >= 63 ? ulong.MaxValue : (1UL << (lastCapability + 1)) - 1;
        ulong set = Default.Aggregate(0UL, (m, n) => m | Bit(n, lastCapability, "--cap-add"));
        if (added.Any(IsAll))
        {
            set = all;
        }

        if (dropped.Any(IsAll))
        {
            set = 0;
        }

        foreach (string name in added.Where(n => !IsAll(n)))
        {
            set |= Bit(name, lastCapability, "--cap-add");
        }

        foreach (string name in dropped.Where(n => !IsAll(n)))
        {
            ulong bit = Bit(name, lastCapability, "--cap-drop");
            if (added.Any(a => !IsAll(a) && Number(a) == Number(name)))
            {
                throw new Abstractions.StageUsageException(
                    $"--cap-add and --cap-drop both name {s_names[Number(name)!.Value]}: name it in one of them only");
            }

            set &= ~bit;
        }

        return set & all;
    }

    private static ulong Bit(string name, int lastCapability, string option)
    {
        int number = Number(name) ?? throw new Abstractions.StageUsageException($"{option} '{name}': unknown capability");
        if (number > lastCapability)
        {
            throw new Abstractions.StageUsageException(
                $"{option} '{name}': this kernel knows capabilities up to number {lastCapability}, and {s_names[number]} is {number}");
        }

        return 1UL << number;
    }

    private static bool IsAll(string name) => name.Equals("ALL", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
