namespace Silo.Abstractions;

/// <summary>
/// Where a stage narrates what it does. Steps are shown only with <c>--trace</c>; a warning is
/// always shown, as one line on stderr, and should say what the user can do about it.
/// </summary>
public interface IStageLog
{
    /// <summary>Narrates one step, for <c>--trace</c>: name the system call and its arguments.</summary>
    void Step(string text);

    /// <summary>Says that something works less well than the user may expect, and why.</summary>
    void Warn(string text);
}
