using Silo.Abstractions;

namespace Silo;

/// <summary>Marks a stage's failure with the stage's name, for the one-line error.</summary>
internal static class StageName
{
    public const string Key = "stage";

    /// <summary>
    /// Runs one of a stage's methods. A failure it explains keeps its words and gains the stage's
    /// name; any other exception escaping a plugin becomes such a failure too, so that a fault in
    /// one plugin is one line naming it, never a stack trace.
    /// </summary>
    public static void Attach(IIsolationStage stage, string step, Action work)
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
        catch (Exception e) when (e is not (StageUsageException or OutOfMemoryException))
        {
            // The runtime's own texts may end in a line break (a missing assembly's does).
            var failure = new StageFailureException(
                step, $"{e.GetType().Name}: {HostLog.OneLine(e.Message)}",
                $"the stage did not expect this; run without it with --stages all,-{stage.Name}");
            failure.Data[Key] = stage.Name;
            throw failure;
        }
    }

    public static void Mark(StageFailureException e, string stage) => e.Data[Key] = stage;

    public static string Prefix(Exception e) => e.Data[Key] is string stage ? stage + ": " : "";
}
