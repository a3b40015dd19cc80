using System.Diagnostics.CodeAnalysis;
using Silo.Native;

namespace Silo.Stage.Limits;

/// <summary>One <c>--ulimit</c> value: a resource and its soft and hard limits.</summary>
/// <param name="Name">The <c>RLIMIT_*</c> name without its prefix, lower case.</param>
/// <param name="Soft">The limit the kernel enforces; <see cref="ulong.MaxValue"/> is unlimited.</param>
/// <param name="Hard">The ceiling up to which the program may raise the soft limit.</param>
public sealed record ResourceLimit(string Name, ulong Soft, ulong Hard)
{
    /// <summary>
    /// Parses <c>NAME=SOFT[:HARD]</c>. A value is a whole number, or <c>unlimited</c> (also
    /// <c>-1</c>, as docker writes it). Without HARD, the hard limit is the soft one.
    /// </summary>
    public static bool TryParse(
        string text, [NotNullWhen(true)] out ResourceLimit? limit, [NotNullWhen(false)] out string? problem)
    {
        limit = null;
        string[] parts = text.Split('=', 2);
        string name = parts[0].Trim().ToLowerInvariant();
        if (!ResourceLimits.Numbers.ContainsKey(name))
        {
            problem = $"unknown limit '{parts[0]}'; the limits are {string.Join(", ", ResourceLimits.Numbers.Keys)}";
            return false;
        }

        string[] values = parts.Length == 2 ? parts[1].Split(':') : [];
        if (values.Length is < 1 or > 2)
        {
            problem = $"write {name}=SOFT or {name}=SOFT:HARD, for example {name}=1024:4096";
            return false;
        }

        if (!TryValue(values[0], out ulong soft) || !TryValue(values[^1], out ulong hard))
        {
            problem = "a limit is a whole number or 'unlimited'";
            return false;
        }

        if (soft > hard)
        {
            problem = $"the soft limit {Show(soft)} is above the hard limit {Show(hard)}";
            return false;
        }

        limit = new ResourceLimit(name, soft, hard);
        problem = null;
        return true;
    }

    /// <summary>For example <c>64:64</c> or <c>1024:unlimited</c>.</summary>
    public override string ToString() => $"{Show(Soft)}:{Show(Hard)}";

    private static bool TryValue(string text, out ulong value)
    {
        value = ulong.MaxValue;
        return text.Trim() is "unlimited" or "-1" || (ulong.TryParse(text.Trim(), out value) && value != ulong.MaxValue);
    }

    private static string Show(ulong value) => value == ulong.MaxValue ? "unlimited" : value.ToString();
}
