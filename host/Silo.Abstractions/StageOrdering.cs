namespace Silo.Abstractions;

/// <summary>
/// A stage's ordering constraints: the names of stages it must run after and before. The host
/// sorts the enabled stages so that every constraint holds, breaks ties by lesson number, and
/// refuses a cycle. A name that is not enabled is ignored; <see cref="Everything"/> stands for
/// every other enabled stage.
/// </summary>
/// <param name="After">Stages whose work must come before this stage's.</param>
/// <param name="Before">Stages whose work must come after this stage's.</param>
public sealed record StageOrdering(IReadOnlyList<string> After, IReadOnlyList<string> Before)
{
    /// <summary>The wildcard for every other enabled stage.</summary>
    public const string Everything = "*";

    /// <summary>No constraint: the lesson number decides.</summary>
    public static StageOrdering None { get; } = new([], []);

    /// <summary>Before every other stage (the user namespace, which owns the others).</summary>
    public static StageOrdering First { get; } = new([], [Everything]);

    /// <summary>After every other stage.</summary>
    public static StageOrdering Last { get; } = new([Everything], []);
}
