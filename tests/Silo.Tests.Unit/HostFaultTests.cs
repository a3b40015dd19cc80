using Silo.Abstractions;

namespace Silo.Tests.Unit;

/// <summary>
/// Faults of the plugins, not of the user: each is one line naming what is at fault and exit 125,
/// never a stack trace, and nothing is cloned (these runs stop before the clone, or only plan).
/// </summary>
public sealed class HostFaultTests
{
    [Fact]
    public void Run_StagesWhoseOrderingFormsACycle_Exits125WithOneLine()
    {
        var a = new FakeStage("a", 1, CloneFlags.None, new StageOrdering(["b"], []));
        var b = new FakeStage("b", 2, CloneFlags.None, new StageOrdering(["a"], []));
        var stderr = new StringWriter();

        int status = SiloApp.Run(StageCatalog.FromStages([a, b]), ["--", "true"], TextWriter.Null, new HostLog(stderr, trace: false));

        Assert.Equal(ExitCodes.SiloFailure, status);
        string line = Assert.Single(stderr.ToString().TrimEnd().Split('\n'));
        Assert.StartsWith("silo: host: the ordering constraints of stages a, b form a cycle", line);
    }

    [Fact]
    public void Plan_APluginThatThrowsSomethingUnexpected_Exits125NamingTheStage()
    {
        var faulty = new FakeStage("faulty", 1, CloneFlags.None)
        {
            OnPlan = _ => throw new FormatException("no digits in 'x'"),
        };
        var stderr = new StringWriter();

        int status = SiloApp.Run(
            StageCatalog.FromStages([faulty]), ["plan", "--", "true"], TextWriter.Null, new HostLog(stderr, trace: false));

        Assert.Equal(ExitCodes.SiloFailure, status);
        Assert.Equal(
            "silo: faulty: plan: FormatException: no digits in 'x'; " +
            "the stage did not expect this; run without it with --stages all,-faulty",
            Assert.Single(stderr.ToString().TrimEnd().Split('\n')));
    }

    [Fact]
    public void Plan_APluginWhoseDependencyIsMissingAtFirstUse_Exits125WithOneLine()
    {
        // The runtime's text for an assembly it cannot find ends in a line break.
        var faulty = new FakeStage("faulty", 1, CloneFlags.None)
        {
            OnPlan = _ => throw new FileNotFoundException(
                "Could not load file or assembly 'Helper'. The system cannot find the file specified.\n"),
        };
        var stderr = new StringWriter();

        int status = SiloApp.Run(
            StageCatalog.FromStages([faulty]), ["plan", "--", "true"], TextWriter.Null,
            new HostLog(stderr, trace: false));

        Assert.Equal(ExitCodes.SiloFailure, status);
        Assert.Equal(
            "silo: faulty: plan: FileNotFoundException: Could not load file or assembly 'Helper'. " +
            "The system cannot find the file specified.; " +
            "the stage did not expect this; run without it with --stages all,-faulty",
            Assert.Single(stderr.ToString().TrimEnd().Split('\n')));
    }

    [Fact]
    public void Warn_TextWithLineBreaks_IsOneLine()
    {
        var stderr = new StringWriter();

        new HostLog(stderr, trace: false).Warn("host", "first line\n  second line\r\n");

        Assert.Equal("silo: warning: host: first line second line\n", stderr.ToString());
    }
}
