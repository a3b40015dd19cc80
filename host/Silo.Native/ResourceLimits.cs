namespace Silo.Native;

/// <summary>The resource limits of <c>prlimit(2)</c>, by their <c>RLIMIT_*</c> name in lower case.</summary>
public static class ResourceLimits
{
    /// <summary>Name to number, as in asm-generic/resource.h (the same on x86-64 and arm64).</summary>
    public static IReadOnlyDictionary<string, int> Numbers { get; } = new Dictionary<string, int>
    {
        ["cpu"] = 0, ["fsize"] = 1, ["data"] = 2, ["stack"] = 3, ["core"] = 4, ["rss"] = 5,
        ["nproc"] = 6, ["nofile"] = 7, ["memlock"] = 8, ["as"] = 9, ["locks"] = 10,
        ["sigpending"] = 11, ["msgqueue"] = 12, ["nice"] = 13, ["rtprio"] = 14, ["rttime"] = 15,
    };
}
