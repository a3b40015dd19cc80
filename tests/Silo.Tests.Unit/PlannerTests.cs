using Silo.Abstractions;
using Silo.Abstractions.Plan;
using Silo.Stage.Uts;

namespace Silo.Tests.Unit;

public sealed class PlannerTests
{
    private static readonly HostFacts s_root = new(0, 0, "root");
    private static readonly HostFacts s_user = new(1000, 1000, "learner");

    private static PlannedRun Plan(HostFacts host, IIsolationStage[] stages, params string[] args)
    {
        var invocation = new SiloCommandLine(StageCatalog.FromStages(stages), TextWriter.Null).Parse(args);
        return Planner.Build(invocation, host, new HostLog(TextWriter.Null, trace: false));
    }

    [Fact]
    public void Build_FlagsOfEveryEnabledStage_AreCombined()
    {
        var run = Plan(s_root, [new UtsStage(), FakeStage.User(), FakeStage.Net()], "--", "true");
        Assert.Equal(CloneFlags.NewUts | CloneFlags.NewUser | CloneFlags.NewNet, run.Plan.CloneFlags);
        Assert.Equal("CLONE_NEWUSER|CLONE_NEWNET|CLONE_NEWUTS", CloneFlagNames.Format(run.Plan.CloneFlags));
    }

    [Fact]
    public void Build_StepsFollowTheExecutionOrder()
    {
        var run = Plan(s_root, [FakeStage.Net(), FakeStage.Uts(), FakeStage.User()], "--", "true");
        Assert.Equal(["user step", "uts step", "net step"], run.Plan.Steps.Select(s => s.Description));
    }

    [Fact]
    public void Build_UtsWithHostname_PlansOneSethostname()
    {
        var run = Plan(s_root, [new UtsStage()], "--hostname", "box", "--", "hostname");
        PlanStep step = Assert.Single(run.Plan.Steps);
        Assert.Equal("uts", step.Stage);
        Assert.Equal(new SetHostname("box"), step.Operation);
        Assert.Equal("sethostname(\"box\")", step.Operation.Describe());
    }

    [Fact]
    public void Build_UtsWithoutHostname_KeepsTheCopyAndPlansNothing()
    {
        Assert.Empty(Plan(s_root, [new UtsStage()], "--", "true").Plan.Steps);
    }

    [Fact]
    public void Build_UtsForUnprivilegedCallerWithoutUserStage_FailsWithTheWayOut()
    {
        var e = Assert.Throws<StageFailureException>(() => Plan(s_user, [new UtsStage()], "--", "true"));
        Assert.Contains("CAP_SYS_ADMIN", e.Message);
        Assert.Equal("run as root or enable the user stage", e.Hint);
    }

    [Fact]
    public void Build_UtsForUnprivilegedCallerWithUserStage_IsAllowed()
    {
        var run = Plan(s_user, [new UtsStage(), FakeStage.User()], "--hostname", "box", "--", "true");
        Assert.Contains(run.Plan.Steps, s => s.Operation is SetHostname);
    }

    [Fact]
    public void Build_Target_IsTheCommandWithTheCallersEnvironmentAndDirectory()
    {
        var run = Plan(s_root, [new UtsStage()], "--", "echo", "hi there");
        Assert.Equal(["echo", "hi there"], run.Plan.Target.Argv);
        Assert.Equal(Environment.CurrentDirectory, run.Plan.Target.WorkingDirectory);
        Assert.Contains(run.Plan.Target.Environment, e => e.StartsWith("PATH=", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_LockDownSteps_RunAfterEverySetupStep()
    {
        var locker = new LockingStage();
        var run = Plan(s_root, [locker, FakeStage.Net()], "--", "true");
        Assert.Equal([PlanPhase.Setup, PlanPhase.Setup, PlanPhase.LockDown], run.Plan.Steps.Select(s => s.Phase));
    }

    [Fact]
    public void PlanJson_RoundTrips_EveryOperation()
    {
        Operation[] all =
        [
            new SetHostname("h"), new SetDomainName("d"), new Mount("src", "/t", "tmpfs", MountFlags.NoSuid, "mode=755") { InsideRoot = "/r" },
            new Unmount("/t", true), new MakeDirectory("/d", 493), new CreateFile("/f", 420), new WriteFile("/w", "x"),
            new Symlink("a", "/b"), new PivotRoot("/n", "/n/old"), new ChangeDirectory("/"), new RemoveDirectory("/old"),
            new LinkUp("lo"), new SetResourceLimit("nofile", 64, 64), new SetNoNewPrivileges(), new LimitCapabilities(5),
            new LoadSeccompFilter([1, 2, 3, 4, 5, 6, 7, 8]), new RequireFileSystem("/proc", "proc", 0x9fa0),
        ];
        var plan = new ChildPlan { Steps = [.. all.Select(o => new PlanStep("s", "d", o, PlanPhase.Setup))] };
        string json = System.Text.Json.JsonSerializer.Serialize(plan, PlanJsonContext.Default.ChildPlan);
        var back = System.Text.Json.JsonSerializer.Deserialize(json, PlanJsonContext.Default.ChildPlan)!;
        Assert.Equal(all.Select(o => o.Describe()), back.Steps.Select(s => s.Operation.Describe()));
    }

    private sealed class LockingStage : IIsolationStage
    {
        public string Name => "lock";

        public string Summary => "locks";

        public string Isolates => "nothing";

        public int Lesson => 1;

        public CloneFlags CloneFlag => CloneFlags.None;

        public StageOrdering Ordering => StageOrdering.None;

        public IReadOnlyList<StageOption> Options => [];

        public void Plan(StageContext context)
        {
            context.AddLockDownStep("no new privileges", new SetNoNewPrivileges());
            context.AddStep("early", new WriteFile("/x", "y"));
        }
    }
}
