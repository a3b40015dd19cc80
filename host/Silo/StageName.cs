using Silo.Abstractions;

namespace Silo;

/// <summary>Marks a stage's failure with the stage's name, for the one-line error.</summary>
internal static class StageName
{
    public const string Key = "stage";

    public static void Attach(IIsolationStage stage, Action work)
    {
        try
        {
            work();
        }
        catch (StageFailureException e)
        {
            Mark(e, stage.Name);
            throw;
        }
    }

    public static void Mark(StageFailureException e, string stage) => e.Data[Key] = stage;

    public static string Prefix(Exception e) => e.Data[Key] is string stage ? stage + ": " : "";
}
