namespace Silo.Abstractions;

/// <summary>
/// A stage could not do its work. The host prints one line,
/// <c>silo: STAGE: STEP: DETAIL; HINT</c>, and exits with status 125.
/// </summary>
public sealed class StageFailureException : Exception
{
    /// <summary>Creates the failure.</summary>
    /// <param name="step">What the stage was doing, for example <c>write uid_map</c>.</param>
    /// <param name="detail">The system call, path or value, and the errno text.</param>
    /// <param name="hint">The way out, where there is one.</param>
    public StageFailureException(string step, string detail, string? hint = null)
        : base(hint is null ? $"{step}: {detail}" : $"{step}: {detail}; {hint}")
    {
        Step = step;
        Detail = detail;
        Hint = hint;
    }

    /// <summary>What the stage was doing.</summary>
    public string Step { get; }

    /// <summary>The system call, path or value, and the errno text.</summary>
    public string Detail { get; }

    /// <summary>The way out, or null.</summary>
    public string? Hint { get; }
}
