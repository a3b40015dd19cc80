namespace Silo.Tests.Integration;

/// <summary>The caps stage's milestone: root inside keeps only a container's default capabilities.</summary>
[Trait("Stage", "caps")]
public sealed class CapsStageTests
{
    // CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE,
    // NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP: Docker shows the same mask.
    private const string DefaultSet = "00000000a80425fb";
    private const string None = "0000000000000000";

    [Fact(DisplayName = "caps: as an ordinary user, root inside holds exactly the default set, bounded by it, with nothing inheritable or ambient")]
    public void Unprivileged_DefaultSet()
    {
        var status = ProcStatus.AsNobody("--stages", "user");
        Assert.Equal(DefaultSet, status["CapBnd"]);
        Assert.Equal(DefaultSet, status["CapPrm"]);
        Assert.Equal(DefaultSet, status["CapEff"]);
        Assert.Equal(None, status["CapInh"]);
        Assert.Equal(None, status["CapAmb"]);
    }

    [Fact(DisplayName = "caps: with the stage off, root inside holds every capability of its namespace (what the stage takes away)")]
    public void StageOff_EveryCapability()
    {
        var status = ProcStatus.AsNobody("--stages", "user,-caps");
        string all = (((1UL << (LastCapability() + 1)) - 1)).ToString("x16");
        Assert.Equal(all, status["CapEff"]);
        Assert.Equal(all, status["CapBnd"]);
    }

    [Fact(DisplayName = "caps: as real root without a user namespace the program is bounded by the default set too")]
    public void RealRoot_NoUserNamespace_DefaultSet()
    {
        var status = ProcStatus.AsRoot("--stages", "uts");
        Assert.Equal(DefaultSet, status["CapBnd"]);
        Assert.Equal(DefaultSet, status["CapEff"]);
    }

    [Fact(DisplayName = "caps: --cap-drop CHOWN makes chown fail for root inside, where it works without the drop")]
    public void CapDropChown_ChownFails()
    {
        string dir = Silo.SharedTempDirectory("silo-caps-");
        const string Probe = "touch f && chown 1000 f && echo changed || echo refused";
        var run = new SiloRun { WorkingDirectory = dir };
        var dropped = Silo.Run(run, "--stages", "user", "--cap-drop", "CHOWN", "--", "sh", "-c", Probe);
        Assert.Equal("refused\n", dropped.Stdout);
        Assert.Contains("Operation not permitted", dropped.Stderr);
        File.Delete(Path.Combine(dir, "f"));
        var kept = Silo.Run(run, "--stages", "user", "--", "sh", "-c", Probe);
        Assert.Equal("changed\n", kept.Stdout);
    }

    [Fact(DisplayName = "caps: root inside cannot change its own hostname any more (CAP_SYS_ADMIN is not in the default set) unless it is added")]
    public void SysAdminGone_HostnameRefused()
    {
        var refused = Silo.RunAs(Silo.Nobody, "--stages", "uts,user", "--", "sh", "-c", "hostname changed-inside 2>/dev/null || echo refused");
        Assert.Equal("refused\n", refused.Stdout);
        var added = Silo.RunAs(Silo.Nobody, "--stages", "uts,user", "--cap-add", "SYS_ADMIN", "--", "sh", "-c", "hostname changed-inside && hostname");
        Assert.Equal("changed-inside\n", added.Stdout);
    }

    [Fact(DisplayName = "caps: --cap-drop ALL --cap-add cap_net_bind_service leaves that one capability, names taken with or without CAP_ in any case")]
    public void DropAllAddOne()
    {
        var status = ProcStatus.AsNobody("--stages", "user", "--cap-drop", "ALL", "--cap-add", "cap_net_bind_service");
        Assert.Equal("0000000000000400", status["CapEff"]);
        Assert.Equal("0000000000000400", status["CapBnd"]);
    }

    [Fact(DisplayName = "caps: --cap-add SYS_ADMIN adds to the default set")]
    public void CapAdd_AddsToDefault()
    {
        var status = ProcStatus.AsNobody("--stages", "user", "--cap-add", "SYS_ADMIN");
        Assert.Equal((0xa80425fbUL | 1UL << 21).ToString("x16"), status["CapEff"]);
    }

    [Fact(DisplayName = "caps: a program run as uid 1000 inside ends with no permitted or effective capability")]
    public void OtherUid_NoCapabilities()
    {
        var status = ProcStatus.AsRoot("--stages", "user", "--uid", "1000", "--gid", "1000");
        Assert.Equal(None, status["CapPrm"]);
        Assert.Equal(None, status["CapEff"]);
        Assert.Equal(None, status["CapAmb"]);
        Assert.Equal(DefaultSet, status["CapBnd"]);
    }

    [Theory(DisplayName = "caps: an unknown capability name is a usage error (exit 2) and nothing runs")]
    [InlineData("--cap-add", "SYS_WIZARD")]
    [InlineData("--cap-drop", "CAP_")]
    public void UnknownName_Exits2(string option, string value)
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", option, value, "--", "true");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{option} '{value}': unknown capability", result.Stderr);
    }

    [Fact(DisplayName = "caps: without the user stage or root there is nothing to narrow, and --cap-drop is a usage error")]
    public void Unprivileged_NoSandbox()
    {
        var plain = Silo.RunAs(Silo.Nobody, "--stages", "-user", "--", "true");
        Assert.Equal(0, plain.ExitCode);
        var asked = Silo.RunAs(Silo.Nobody, "--stages", "-user", "--cap-drop", "CHOWN", "--", "true");
        Assert.Equal(2, asked.ExitCode);
        Assert.Contains("enable the user stage", asked.Stderr);
    }

    private static int LastCapability() => int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim());
}

/// <summary>Reads the capability, no_new_privs and seccomp lines of /proc/self/status inside.</summary>
internal static class ProcStatus
{
    private static readonly string[] s_command = ["--", "grep", "-E", "^(Cap|NoNewPrivs|Seccomp)", "/proc/self/status"];

    /// <summary>Runs silo as uid 65534 with these options, and reads the lines from inside.</summary>
    public static Dictionary<string, string> AsNobody(params string[] options) =>
        Parse(Silo.RunAs(Silo.Nobody, [.. options, .. s_command]));

    /// <summary>Runs silo as root with these options, and reads the lines from inside.</summary>
    public static Dictionary<string, string> AsRoot(params string[] options) =>
        Parse(Silo.Run([.. options, .. s_command]));

    private static Dictionary<string, string> Parse(SiloResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 2))
            .ToDictionary(p => p[0], p => p[1].Trim());
    }
}
