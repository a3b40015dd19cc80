using Silo.Abstractions;
using Silo.Abstractions.Plan;
using Silo.Stage.Net;

namespace Silo.Tests.Unit;

/// <summary>The net stage's plan and options, without root and without a helper.</summary>
public sealed class NetStagePlanTests
{
    private static readonly HostFacts s_root = new(0, 0, "root");
    private static readonly HostFacts s_user = new(1000, 1000, "learner");

    private static IIsolationStage[] Stages => [new NetStage(), FakeStage.User(), FakeStage.Uts()];

    private static PlannedRun Plan(HostFacts host, IIsolationStage[] stages, params string[] args)
    {
        var invocation = new SiloCommandLine(StageCatalog.FromStages(stages), TextWriter.Null).Parse(args);
        return Planner.Build(invocation, host, new HostLog(TextWriter.Null, trace: false));
    }

    [Fact]
    public void Build_NetByDefault_BringsLoopbackUp()
    {
        var run = Plan(s_root, [new NetStage()], "--", "true");
        PlanStep step = Assert.Single(run.Plan.Steps);
        Assert.Equal(new LinkUp("lo"), step.Operation);
        Assert.Equal(CloneFlags.NewNet, run.Plan.CloneFlags);
    }

    [Fact]
    public void Sort_Net_RunsLastEvenAfterALaterLesson()
    {
        var invocation = new SiloCommandLine(
            StageCatalog.FromStages([.. Stages, new FakeStage("late", 9, CloneFlags.None)]), TextWriter.Null)
            .Parse(["--", "true"]);
        Assert.Equal(["user", "uts", "late", "net"], invocation.Stages.Select(s => s.Name));
    }

    [Theory]
    [InlineData("-p", "8080:80")]
    [InlineData("--publish", "8080:80")]
    [InlineData("--net-host-loopback", null)]
    public void Build_UserModeOptionWithoutNetUser_IsUsageError(string option, string? value)
    {
        string[] args = value is null ? [option, "--", "true"] : [option, value, "--", "true"];
        var e = Assert.Throws<StageUsageException>(() => Plan(s_root, Stages, args));
        Assert.Contains("add --net user", e.Message);
    }

    [Theory]
    [InlineData("8080")]
    [InlineData("8080:80:90:100")]
    [InlineData("65536:80")]
    [InlineData("8080:0")]
    [InlineData("8080:http")]
    [InlineData("8080:80/sctp")]
    [InlineData("::1:8080:80")]
    [InlineData("localhost:8080:80")]
    public void Parse_MalformedPublish_IsUsageError(string value)
    {
        var e = Assert.Throws<UsageException>(
            () => Plan(s_root, Stages, "--net", "user", "-p", value, "--", "true"));
        Assert.StartsWith($"--publish '{value}':", e.Message);
    }

    [Fact]
    public void Parse_PublishForms_AreAcceptedAndRepeatable()
    {
        var invocation = new SiloCommandLine(StageCatalog.FromStages(Stages), TextWriter.Null)
            .Parse(["--net", "user", "-p", "8080:80", "--publish", "127.0.0.2:5353:53/udp", "--", "true"]);
        StageOption publish = new NetStage().Options.Single(o => o.Name == "--publish");
        Assert.Equal(["8080:80", "127.0.0.2:5353:53/udp"], invocation.Options.GetAll(publish));
    }

    [Fact]
    public void Parse_UnknownMode_IsUsageError()
    {
        var e = Assert.Throws<UsageException>(() => Plan(s_root, Stages, "--net", "host", "--", "true"));
        Assert.Contains("none", e.Message);
    }

    [Fact]
    public void Build_NetForUnprivilegedCallerWithoutUserStage_FailsWithTheWayOut()
    {
        var e = Assert.Throws<StageFailureException>(() => Plan(s_user, [new NetStage()], "--", "true"));
        Assert.Contains("CLONE_NEWNET", e.Message);
        Assert.Equal("run as root or enable the user stage", e.Hint);
    }
}
