using Silo.Abstractions;
using Silo.Abstractions.Plan;
using Silo.Stage.Uts;

namespace Silo.Tests.Unit;

public sealed class CommandLineTests
{
    private static Invocation Parse(params string[] args) => Parse([new UtsStage(), FakeStage.User(), FakeStage.Net()], args);

    private static Invocation Parse(IIsolationStage[] stages, params string[] args) =>
        new SiloCommandLine(StageCatalog.FromStages(stages), TextWriter.Null).Parse(args);

    [Fact]
    public void Parse_StagesInAnyOrder_AreSortedForExecution()
    {
        var invocation = Parse("--stages", "net,uts,user", "--", "true");
        Assert.Equal(["user", "uts", "net"], invocation.Stages.Select(s => s.Name));
    }

    [Fact]
    public void Parse_NoStagesOption_EnablesEveryStage()
    {
        var invocation = Parse("--", "true");
        Assert.Equal(3, invocation.Stages.Count);
        Assert.False(invocation.StagesNamed);
    }

    [Fact]
    public void Parse_MinusName_TurnsAStageOff()
    {
        var invocation = Parse("--stages", "all,-net", "--", "true");
        Assert.DoesNotContain(invocation.Stages, s => s.Name == "net");
    }

    [Fact]
    public void Parse_CommandWithoutSeparator_KeepsItsOwnOptions()
    {
        var invocation = Parse("--stages", "uts", "ls", "-l", "--all");
        Assert.Equal(["ls", "-l", "--all"], invocation.Command);
    }

    [Fact]
    public void Parse_StageOptionValue_IsNotTakenForTheCommand()
    {
        var invocation = Parse("--stages", "uts", "--hostname", "box", "hostname");
        Assert.Equal(["hostname"], invocation.Command);
        Assert.Equal("box", invocation.Options.Get(new UtsStage().Options[0]));
    }

    [Fact]
    public void Parse_Trace_IsSet()
    {
        Assert.True(Parse("--trace", "--stages", "uts", "--", "true").Trace);
    }

    [Fact]
    public void Parse_UnknownStage_ListsTheValidNames()
    {
        var e = Assert.Throws<UsageException>(() => Parse("--stages", "uts,bogus", "--", "true"));
        Assert.Contains("unknown stage 'bogus'", e.Message);
        Assert.Contains("uts, user, net, all", e.Message);
    }

    [Fact]
    public void Parse_NoCommand_IsAUsageError()
    {
        var e = Assert.Throws<UsageException>(() => Parse("--stages", "uts"));
        Assert.Contains("no command given", e.Message);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("-dash")]
    [InlineData("dot.")]
    [InlineData("")]
    [InlineData("x234567890123456789012345678901234567890123456789012345678901234567890")]
    public void Parse_BadHostname_IsAUsageErrorThatSaysWhatIsValid(string name)
    {
        var e = Assert.Throws<UsageException>(() => Parse("--stages", "uts", $"--hostname={name}", "--", "true"));
        Assert.Contains("--hostname", e.Message);
    }

    [Fact]
    public void Parse_OptionOfAStageThatIsOff_NamesTheStage()
    {
        var e = Assert.Throws<UsageException>(() => Parse("--stages", "user", "--hostname", "box", "--", "true"));
        Assert.Contains("--hostname belongs to the uts stage", e.Message);
    }

    [Fact]
    public void Parse_UnknownOption_IsAUsageError()
    {
        Assert.Throws<UsageException>(() => Parse("--no-such-option", "--", "true"));
    }

    [Fact]
    public void Parse_StagesSubcommand_IsListStages()
    {
        Assert.Equal(InvocationKind.ListStages, Parse("stages").Kind);
    }

    [Fact]
    public void Parse_PlanSubcommand_CarriesTheCommand()
    {
        var invocation = Parse("plan", "--stages", "uts", "--", "hostname");
        Assert.Equal(InvocationKind.Plan, invocation.Kind);
        Assert.Equal(["hostname"], invocation.Command);
    }

    [Fact]
    public void PreScanStagePaths_FindsBothForms()
    {
        var paths = SiloCommandLine.PreScanStagePaths(["--stage-path", "/a", "--stage-path=/b", "--", "--stage-path", "/c"]);
        Assert.Equal(["/a", "/b"], paths);
    }
}
