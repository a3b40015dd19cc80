namespace Silo.Tests.Integration;

/// <summary>The UTS stage's milestone: a hostname of the sandbox's own.</summary>
[Trait("Stage", "uts")]
public sealed class UtsStageTests
{
    [Fact(DisplayName = "uts: the hostname inside is the one asked for, while the host keeps its own")]
    public void Hostname_Inside_IsSetAndHostUnchanged()
    {
        string before = Environment.MachineName;
        var result = Silo.Run("--stages", "uts", "--hostname", "box", "--", "hostname");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("box\n", result.Stdout);
        Assert.Equal(before, Silo.Host("hostname").Stdout.Trim());
    }

    [Fact(DisplayName = "uts: a hostname set inside the sandbox does not leak out")]
    public void Hostname_ChangedByTarget_DoesNotLeak()
    {
        string before = Silo.Host("hostname").Stdout.Trim();
        // sethostname needs CAP_SYS_ADMIN, which the caps stage (on by default) takes away.
        var result = Silo.Run("--stages", "uts", "--cap-add", "SYS_ADMIN", "--", "hostname", "changed-inside");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(before, Silo.Host("hostname").Stdout.Trim());
    }

    [Fact(DisplayName = "uts: the domain name inside is the one asked for")]
    public void Domainname_Inside_IsSet()
    {
        var result = Silo.Run("--stages", "uts", "--domainname", "lab", "--", "cat", "/proc/sys/kernel/domainname");
        Assert.Equal("lab\n", result.Stdout);
    }

    [Fact(DisplayName = "uts: the sandbox is in a UTS namespace other than the host's")]
    public void Namespace_IsNew()
    {
        string host = Silo.Host("readlink", "/proc/self/ns/uts").Stdout.Trim();
        string inside = Silo.Run("--stages", "uts", "--", "readlink", "/proc/self/ns/uts").Stdout.Trim();
        Assert.StartsWith("uts:[", inside);
        Assert.NotEqual(host, inside);
    }

    [Theory(DisplayName = "uts: a bad hostname is a usage error (exit 2) and nothing is cloned")]
    [InlineData("has space")]
    [InlineData("-leading")]
    [InlineData("a..b")]
    [InlineData("this-name-is-much-longer-than-the-sixty-four-bytes-a-kernel-allows-x")]
    public void Hostname_Invalid_Exits2(string name)
    {
        var result = Silo.Run("--stages", "uts", "--hostname", name, "--", "true");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--hostname", result.Stderr);
    }

    [Fact(DisplayName = "uts: --hostname without the uts stage is a usage error that names the stage")]
    public void Hostname_WithoutStage_Exits2()
    {
        var result = Silo.Run("--stages", "-uts", "--hostname", "box", "--", "true");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("belongs to the uts stage", result.Stderr);
    }
}
