using Silo.Abstractions;

namespace Silo;

/// <summary>What the user asked silo to do.</summary>
internal enum InvocationKind
{
    /// <summary>Run a command in the sandbox.</summary>
    Run,

    /// <summary>Print the plan a run would execute.</summary>
    Plan,

    /// <summary>List the stages, and what a set of them isolates.</summary>
    ListStages,

    /// <summary>Help or version was printed; nothing else to do.</summary>
    Done,
}

/// <summary>A parsed command line.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="Stages">The enabled stages, in execution order.</param>
/// <param name="StagesNamed">True when the user chose the stages with <c>--stages</c>.</param>
/// <param name="Options">The stage options given.</param>
/// <param name="Command">The target and its arguments.</param>
/// <param name="Trace">True with <c>--trace</c>.</param>
internal sealed record Invocation(
    InvocationKind Kind,
    IReadOnlyList<IIsolationStage> Stages,
    bool StagesNamed,
    StageOptionValues Options,
    IReadOnlyList<string> Command,
    bool Trace);

/// <summary>The command line is wrong; the message says what is wrong and what is valid.</summary>
internal sealed class UsageException(string message) : Exception(message);
