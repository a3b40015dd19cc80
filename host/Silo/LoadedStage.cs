using Silo.Abstractions;

namespace Silo;

/// <summary>A stage plugin the catalog loaded, with the file it came from.</summary>
internal sealed record LoadedStage(IIsolationStage Stage, string File);

/// <summary>A plugin file that could not be used, and why.</summary>
internal sealed record BrokenPlugin(string File, string Reason);
