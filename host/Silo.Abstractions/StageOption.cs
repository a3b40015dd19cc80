namespace Silo.Abstractions;

/// <summary>
/// A command-line option that a stage brings with it, such as <c>--hostname</c>. The host adds it
/// to silo's command line, refuses it when the stage is off, and runs <see cref="Validate"/> on
/// every value before anything is cloned.
/// </summary>
/// <param name="Name">The long name with its dashes, for example <c>--hostname</c>.</param>
/// <param name="Description">One line for <c>silo --help</c>.</param>
public sealed record StageOption(string Name, string Description)
{
    /// <summary>Other names, such as a short <c>-p</c>.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>The placeholder shown in help, for example <c>NAME</c>. Ignored for a flag.</summary>
    public string ValueName { get; init; } = "VALUE";

    /// <summary>True for an option that takes no value.</summary>
    public bool IsFlag { get; init; }

    /// <summary>True when the option may be given more than once.</summary>
    public bool Repeatable { get; init; }

    /// <summary>
    /// Checks one value: returns null when it is valid, or a sentence saying what is wrong and what
    /// is valid. A failure is a usage error (exit status 2).
    /// </summary>
    public Func<string, string?>? Validate { get; init; }
}
