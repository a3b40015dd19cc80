namespace Silo.Abstractions.Plan;

/// <summary>What one line on the report channel (descriptor 4 in the child) says.</summary>
public enum ReportKind
{
    /// <summary>A step is about to run (<c>--trace</c> only).</summary>
    StepStarting,

    /// <summary>A step failed: <see cref="Report.Call"/> and <see cref="Report.Errno"/> say how.</summary>
    StepFailed,

    /// <summary>The child could not go on for a reason that is not a plan step.</summary>
    Failed,

    /// <summary>The target could not be executed: 126 or 127.</summary>
    ExecFailed,

    /// <summary>The target is running with <see cref="Report.Pid"/> inside.</summary>
    Started,

    /// <summary>The target exited with <see cref="Report.Code"/>, or died of <see cref="Report.Signal"/>.</summary>
    Exited,

    /// <summary>Narration for <c>--trace</c> that is not a step.</summary>
    Note,
}

/// <summary>
/// One record of the report channel, sent by the child as one line of JSON so that the host can
/// print narration and errors in order, and learn the target's status.
/// </summary>
public sealed record Report(ReportKind Kind)
{
    /// <summary>The index of the step in the plan, for step records.</summary>
    public int? Step { get; init; }

    /// <summary>The system call that failed, with its path: <c>mount /proc</c>.</summary>
    public string? Call { get; init; }

    /// <summary>The errno of the failure.</summary>
    public int? Errno { get; init; }

    /// <summary>Free text: a note, or what failed.</summary>
    public string? Text { get; init; }

    /// <summary>The target's pid inside.</summary>
    public int? Pid { get; init; }

    /// <summary>The target's exit code.</summary>
    public int? Code { get; init; }

    /// <summary>The signal that ended the target.</summary>
    public int? Signal { get; init; }

    /// <summary>Milliseconds since the child started, on its monotonic clock.</summary>
    public double? At { get; init; }
}
