namespace Silo.Tests.Integration;

/// <summary>The limits stage's milestone: --ulimit sets the program's resource limits.</summary>
[Trait("Stage", "limits")]
public sealed class LimitsStageTests
{
    [Fact(DisplayName = "limits: --ulimit nofile=64 is the program's soft and hard limit of open files")]
    public void Nofile64_VisibleInside()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--ulimit", "nofile=64", "--", "sh", "-c", "ulimit -n; ulimit -Hn");
        Assert.Equal("64\n64\n", result.Stdout);
    }

    [Fact(DisplayName = "limits: --ulimit nofile=32:64 sets a soft and a hard limit, and the program may raise its soft one up to the hard")]
    public void SoftAndHard()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--ulimit", "nofile=32:64", "--", "sh", "-c", "ulimit -n; ulimit -Hn; ulimit -n 64 && ulimit -n");
        Assert.Equal("32\n64\n64\n", result.Stdout);
    }

    [Fact(DisplayName = "limits: limits sized for a program (address space, one process) bind the program, not silo's own init")]
    public void SmallLimits_DoNotStopInit()
    {
        const string Probe = """
            import os, resource
            print(resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_NPROC)[0])
            try:
                pid = os.fork()
                if pid == 0:
                    os._exit(0)
                os.waitpid(pid, 0)
                print("forked")
            except BlockingIOError:
                print("fork refused")
            """;
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--ulimit", "as=100000000", "--ulimit", "nproc=1", "--",
            "/usr/bin/python3", "-c", Probe);
        Assert.Equal("100000000 1\nfork refused\n", result.Stdout);
    }

    [Fact(DisplayName = "limits: a hard limit above the host's is refused to an ordinary user in one line naming prlimit (exit 125)")]
    public void RaiseHardLimit_Unprivileged_Fails()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--ulimit", "nofile=64:100000000", "--", "true");
        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("silo: limits: ", line);
        Assert.Contains("prlimit RLIMIT_NOFILE: Operation not permitted (EPERM)", line);
    }

    [Theory(DisplayName = "limits: a bad --ulimit is a usage error (exit 2)")]
    [InlineData("bogus=1", "unknown limit")]
    [InlineData("nofile", "write nofile=SOFT")]
    [InlineData("nofile=many", "whole number")]
    [InlineData("nofile=64:32", "above the hard limit")]
    public void BadValue_Exits2(string value, string message)
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--ulimit", value, "--", "true");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
    }
}
