using System.Text.Json.Serialization;

namespace Silo.Abstractions.Plan;

/// <summary>
/// The JSON form of the plan and the report channel, generated at compile time so that the
/// ahead-of-time compiled child needs no reflection.
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ChildPlan))]
[JsonSerializable(typeof(Report))]
public sealed partial class PlanJsonContext : JsonSerializerContext
{
}
