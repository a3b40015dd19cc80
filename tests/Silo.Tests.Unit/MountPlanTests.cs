using Silo.Abstractions;
using Silo.Abstractions.Plan;
using Silo.Stage.Mount;

namespace Silo.Tests.Unit;

public sealed class MountPlanTests
{
    private static readonly HostFacts s_user = new(1000, 1000, "learner");

    private static PlannedRun Plan(params string[] args)
    {
        IIsolationStage[] stages = [new MountStage(), FakeStage.User(), FakeStage.Pid()];
        var invocation = new SiloCommandLine(StageCatalog.FromStages(stages), TextWriter.Null).Parse(args);
        return Planner.Build(invocation, s_user, new HostLog(TextWriter.Null, trace: false));
    }

    [Fact]
    public void Plan_FirstStep_MakesEveryMountPrivate()
    {
        var steps = Plan("--stages", "user,mount", "--", "true").Plan.Steps.Where(s => s.Stage == "mount").ToList();
        Assert.Equal(new Mount(null, "/", null, MountFlags.Recursive | MountFlags.Private, null), steps[0].Operation);
    }

    [Fact]
    public void Plan_EveryMountIntoTheNewRoot_IsResolvedInsideIt()
    {
        var steps = Plan("--stages", "user,mount", "--bind", "/etc:/host-etc:ro", "--", "true").Plan.Steps;
        var mounts = steps.Select(s => s.Operation).OfType<Mount>().Where(m => m.Target.StartsWith('/') && !m.Target.StartsWith("/run", StringComparison.Ordinal) && m.Target != "/").ToList();
        Assert.NotEmpty(mounts);
        Assert.All(mounts, m => Assert.Equal("/run/root", m.InsideRoot));
        Assert.Contains(steps, s => s.Operation is MakeMountReadOnly { Target: "/host-etc", Recursive: true });
    }

    [Fact]
    public void Plan_EndsWithPivotDetachRemoveAndProcCheck_AndSetsWorkdirAndRoot()
    {
        var run = Plan("--stages", "user,mount", "--workdir", "/tmp", "--", "true");
        var last = run.Plan.Steps.TakeLast(4).Select(s => s.Operation).ToList();
        Assert.IsType<PivotRoot>(last[0]);
        Assert.Equal(new Unmount("/.silo-old-root", Detach: true), last[1]);
        Assert.Equal(new RemoveDirectory("/.silo-old-root"), last[2]);
        Assert.Equal(new RequireFileSystem("/proc", "proc", 0x9fa0), last[3]);
        Assert.Equal("/tmp", run.Plan.Target.WorkingDirectory);
        Assert.StartsWith("the default root", run.Plan.Target.Root);
    }

    [Theory]
    [InlineData("user,mount", false)]
    [InlineData("user,pid,mount", false)]
    [InlineData("user,mount", true)]
    public void Plan_ProcIsCheckedOnceAfterPivotRoot_AndAfterEveryMount(string stages, bool sealedRootfs)
    {
        string rootfs = Directory.CreateTempSubdirectory("silo-unit-").FullName;
        try
        {
            string[] options = sealedRootfs ? ["--rootfs", rootfs, "--ro"] : [];
            string[] args = ["--stages", stages, .. options, "--tmpfs", "/proc/x", "--", "true"];
            var steps = Plan(args).Plan.Steps;
            PlanStep only = Assert.Single(steps, s => s.Operation is RequireFileSystem);
            Assert.Equal(new RequireFileSystem("/proc", "proc", 0x9fa0), only.Operation);
            int check = steps.IndexOf(only);
            Assert.True(steps.FindIndex(s => s.Operation is PivotRoot) < check);
            Assert.True(steps.FindLastIndex(s => s.Operation is Mount or MakeMountReadOnly) < check);
        }
        finally
        {
            Directory.Delete(rootfs);
        }
    }

    [Fact]
    public void Plan_UserNamespaceWithoutPid_BindsTheHostsProc_WithPid_MountsAFreshOne()
    {
        static Mount ProcMount(PlannedRun run) =>
            run.Plan.Steps.Select(s => s.Operation).OfType<Mount>().First(m => m.Target == "/proc");
        Assert.Equal("/proc", ProcMount(Plan("--stages", "user,mount", "--", "true")).Source);
        Assert.Equal("proc", ProcMount(Plan("--stages", "user,pid,mount", "--", "true")).FileSystemType);
    }

    [Fact]
    public void Plan_OverlaysInAUserNamespace_UseUserXattr()
    {
        var overlays = Plan("--stages", "user,mount", "--", "true").Plan.Steps
            .Select(s => s.Operation).OfType<Mount>().Where(m => m.FileSystemType == "overlay").ToList();
        Assert.Contains(overlays, m => m.Target == "/usr");
        Assert.All(overlays, m => Assert.EndsWith(",userxattr", m.Data));
    }

    [Fact]
    public void Plan_RootfsUnderTheFirstStagingCandidate_IsStagedElsewhere()
    {
        string rootfs = Directory.CreateTempSubdirectory("silo-unit-").FullName;
        try
        {
            var steps = Plan("--stages", "user,mount", "--rootfs", rootfs, "--", "true").Plan.Steps.Where(s => s.Stage == "mount").ToList();
            Mount staging = Assert.IsType<Mount>(steps[1].Operation);
            Assert.False(rootfs.StartsWith(staging.Target + "/", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(rootfs);
        }
    }

    [Theory]
    [InlineData("./src:/src:ro")]
    [InlineData("/data")]
    [InlineData("/data:rw")]
    public void BindOption_WellFormed_IsAccepted(string value)
    {
        var error = Record.Exception(() => Plan("--stages", "user,mount", "--bind", value, "--", "true"));
        Assert.IsNotType<StageUsageException>(error);
    }
}
