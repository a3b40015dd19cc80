namespace Silo.Abstractions;

/// <summary>
/// The stage interface of an imagined contract 99: only enough for a plugin to implement, so
/// that the plugin really references this assembly.
/// </summary>
public interface IIsolationStage
{
    string Name { get; }
}
