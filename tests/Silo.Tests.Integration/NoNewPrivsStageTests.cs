namespace Silo.Tests.Integration;

/// <summary>The nonewprivs stage's milestone: no exec inside gains privilege.</summary>
[Trait("Stage", "nonewprivs")]
public sealed class NoNewPrivsStageTests
{
    [Fact(DisplayName = "nonewprivs: the program runs with NoNewPrivs: 1, and with the stage off with 0")]
    public void Unprivileged_FlagSet()
    {
        Assert.Equal("1", ProcStatus.AsNobody("--stages", "user")["NoNewPrivs"]);
        Assert.Equal("0", ProcStatus.AsNobody("--stages", "user,-nonewprivs")["NoNewPrivs"]);
    }

    // A setuid binary owned by a uid that exists inside is honoured there (a setuid file of host
    // root is not: host root is not mapped). So the test makes one owned by the host uid that is
    // root inside, runs it as uid 1000 inside, and asks it for its effective uid.
    [Fact(DisplayName = "nonewprivs: a setuid-root binary run by uid 1000 inside stays uid 1000, where with the stage off it becomes root")]
    public void SetuidRootBinary_GainsNothing()
    {
        var map = Silo.Run("--stages", "user", "--", "cat", "/proc/self/uid_map");
        Assert.Equal(0, map.ExitCode);
        int rootOutside = int.Parse(map.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        string dir = Silo.SharedTempDirectory("silo-nnp-");
        string helper = Path.Combine(dir, "id-setuid");
        File.Copy("/usr/bin/id", helper);
        Assert.Equal(0, Silo.Host("chown", $"{rootOutside}:{rootOutside}", helper).ExitCode);
        Assert.Equal(0, Silo.Host("chmod", "4755", helper).ExitCode);

        string[] run = ["--uid", "1000", "--gid", "1000", "--", helper, "-u"];
        var hardened = Silo.Run(["--stages", "user", .. run]);
        Assert.Equal("1000\n", hardened.Stdout);
        var open = Silo.Run(["--stages", "user,-nonewprivs", .. run]);
        Assert.Equal("0\n", open.Stdout);
    }
}
