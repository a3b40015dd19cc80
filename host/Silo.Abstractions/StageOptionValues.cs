namespace Silo.Abstractions;

/// <summary>The values given on the command line for the options of the stages.</summary>
public sealed class StageOptionValues
{
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _values;

    /// <summary>Values by option name; a flag that was given has one empty value.</summary>
    public StageOptionValues(IReadOnlyDictionary<string, IReadOnlyList<string>> values)
    {
        _values = values;
    }

    /// <summary>No option given.</summary>
    public static StageOptionValues Empty { get; } = new(new Dictionary<string, IReadOnlyList<string>>());

    /// <summary>True when the option was given at least once.</summary>
    public bool IsSet(StageOption option) => _values.ContainsKey(option.Name);

    /// <summary>The last value given for the option, or null.</summary>
    public string? Get(StageOption option) =>
        _values.TryGetValue(option.Name, out var list) && list.Count > 0 ? list[^1] : null;

    /// <summary>Every value given for a repeatable option, in command-line order.</summary>
    public IReadOnlyList<string> GetAll(StageOption option) =>
        _values.TryGetValue(option.Name, out var list) ? list : [];
}
