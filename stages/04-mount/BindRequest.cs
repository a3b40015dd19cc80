namespace Silo.Stage.Mount;

/// <summary>One <c>--bind SRC[:DST][:ro]</c>: a host path shown at a path inside the sandbox.</summary>
/// <param name="Source">The host path as given; made absolute and checked when the stage plans.</param>
/// <param name="Target">The absolute path inside, or null for the same path as the source.</param>
/// <param name="ReadOnly">True with <c>:ro</c>.</param>
internal sealed record BindRequest(string Source, string? Target, bool ReadOnly)
{
    /// <summary>Parses the option's value; returns null and says why when it is malformed.</summary>
    public static BindRequest? Parse(string value, out string? error)
    {
        error = null;
        string[] parts = value.Split(':');
        bool readOnly = false;
        if (parts.Length > 1 && parts[^1] is "ro" or "rw")
        {
            readOnly = parts[^1] == "ro";
            parts = parts[..^1];
        }

        if (parts.Length > 2 || parts[0].Length == 0)
        {
            error = "the form is SRC[:DST][:ro], for example ./src:/src:ro (a path may not contain ':')";
            return null;
        }

        string? target = parts.Length == 2 ? parts[1] : null;
        if (target is not null && InsidePath.Check(target) is { } bad)
        {
            error = $"the target {bad}";
            return null;
        }

        return new BindRequest(parts[0], target, readOnly);
    }
}
