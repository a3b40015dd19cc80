using Silo.Abstractions;

namespace Silo.Tests.Unit;

/// <summary>
/// A failure a stage reports while the sandbox runs. No test here releases a child with a failure
/// pending, so nothing is ever killed: the child's pid is one no process can have.
/// </summary>
public sealed class LateFailureTests
{
    private const int NoSuchPid = int.MaxValue;

    private static StageFailureException HelperDied() =>
        new("keep user-mode networking", "slirp4netns exited with status 3", "use --net none");

    [Fact]
    public void Release_AfterAFailureDuringSetUp_ThrowsItWithTheStageName()
    {
        var late = new LateFailure(NoSuchPid, childIsPidOne: false, new HostLog(TextWriter.Null, trace: false));
        late.Report("net", HelperDied());

        var e = Assert.Throws<StageFailureException>(late.Release);
        Assert.Equal("net: keep user-mode networking: slirp4netns exited with status 3; use --net none",
            StageName.Prefix(e) + e.Message);
    }

    [Fact]
    public void Report_WhileTheSandboxRuns_FirstFailureIsTheOutcome()
    {
        var late = new LateFailure(NoSuchPid, childIsPidOne: false, new HostLog(TextWriter.Null, trace: false));
        late.Release();
        StageFailureException first = HelperDied();
        late.Report("net", first);
        late.Report("other", new StageFailureException("second", "later"));
        late.TargetStarted(NoSuchPid);

        Assert.Same(first, late.Failure);
    }

    [Fact]
    public void Report_AfterTheTargetEnded_IsOnlyAWarning()
    {
        var stderr = new StringWriter();
        var late = new LateFailure(NoSuchPid, childIsPidOne: false, new HostLog(stderr, trace: false));
        late.Release();
        late.TargetEnded();
        late.Report("net", HelperDied());

        Assert.Null(late.Failure);
        Assert.Equal(
            "silo: warning: net: keep user-mode networking after the sandbox ended: " +
            "slirp4netns exited with status 3\n",
            stderr.ToString());
    }

    [Fact]
    public void Fail_OnAContextWithoutAHandler_ThrowsOnTheCallersThread()
    {
        var context = new ParentContext(
            NoSuchPid, new HashSet<string>(), new HostFacts(0, 0, "root"), StageOptionValues.Empty,
            new HostLog(TextWriter.Null, trace: false).For("net"), _ => { });
        StageFailureException failure = HelperDied();

        Assert.Same(failure, Assert.Throws<StageFailureException>(() => context.Fail(failure)));
    }
}
