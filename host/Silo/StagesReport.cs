using Silo.Abstractions;

namespace Silo;

/// <summary>
/// <c>silo stages</c>: every stage found, in learning order, and for the chosen set what the
/// sandbox gets a copy of and what it still shares with the host.
/// </summary>
internal static class StagesReport
{
    public static void Write(TextWriter output, StageCatalog catalog, Invocation invocation)
    {
        var enabled = invocation.Stages.Select(s => s.Name).ToHashSet();
        output.WriteLine("Stages found, in learning order:");
        foreach (LoadedStage loaded in catalog.Stages)
        {
            IIsolationStage s = loaded.Stage;
            string flag = s.CloneFlag == CloneFlags.None ? "" : $"  ({CloneFlagNames.Format(s.CloneFlag)})";
            output.WriteLine($"  {(enabled.Contains(s.Name) ? "on " : "off")}  {s.Lesson:00} {s.Name,-10} {s.Summary}{flag}");
        }

        foreach (BrokenPlugin broken in catalog.Broken)
        {
            output.WriteLine($"  broken  {broken.File}: {broken.Reason}");
        }

        output.WriteLine();
        string chosen = invocation.StagesNamed ? string.Join(",", invocation.Stages.Select(s => s.Name)) : "all (the default)";
        output.WriteLine($"With --stages {chosen}:");
        var on = catalog.Stages.Where(l => enabled.Contains(l.Stage.Name)).Select(l => l.Stage).ToList();
        var off = catalog.Stages.Where(l => !enabled.Contains(l.Stage.Name)).Select(l => l.Stage).ToList();
        output.WriteLine($"  isolated:              {Describe(on)}");
        output.WriteLine($"  shared with the host:  {Describe(off)}");
    }

    private static string Describe(List<IIsolationStage> stages) =>
        stages.Count == 0 ? "nothing" : string.Join("; ", stages.Select(s => $"{s.Isolates} ({s.Name})"));
}
