namespace Silo.Tests.Integration;

/// <summary>
/// Nothing of the host is reachable through silo itself: no descriptor of silo's reaches the
/// program, and its init can be neither ptraced nor overwritten from inside. These hold for any
/// set of stages, so they belong to the workbench's milestone.
/// </summary>
[Trait("Stage", "workbench")]
public sealed class InitHardeningTests
{
    [Fact(DisplayName = "workbench: the program inherits no descriptor of silo's: only 0, 1 and 2 are open in it")]
    public void NoDescriptorLeaks()
    {
        // ls opens the directory it lists: that descriptor, and only that one, may point back at
        // /proc/.../fd. Without the fix the report channel (a pipe) showed up as 4.
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--", "ls", "-l", "/proc/self/fd");
        Assert.Equal(0, result.ExitCode);
        var open = result.Stdout.Split('\n').Where(l => l.Contains(" -> "))
            .Select(l => l.Split(" -> ", 2))
            .ToDictionary(p => int.Parse(p[0].Split(' ')[^1]), p => p[1]);
        Assert.Contains(0, open.Keys);
        var (_, own) = Assert.Single(open, fd => fd.Key > 2);
        Assert.EndsWith("/fd", own);
    }

    [Fact(DisplayName = "workbench: root inside can neither open silo-init's binary for writing nor read its environment through /proc")]
    public void InitIsClosed()
    {
        // The program's parent is silo-init (PID 1 with a PID namespace, its pid otherwise).
        const string Probe = "test -d /proc/$PPID && echo init-visible; " +
                             "(echo x > /proc/$PPID/exe) 2>/dev/null && echo exe-written || echo exe-refused; " +
                             "cat /proc/$PPID/environ >/dev/null 2>&1 && echo environ-read || echo environ-refused";
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--", "sh", "-c", Probe);
        Assert.Equal("init-visible\nexe-refused\nenviron-refused\n", result.Stdout);
    }

    [Fact(DisplayName = "workbench: even with CAP_SYS_PTRACE, silo-init's binary is a sealed copy in memory that cannot be written")]
    public void InitBinary_IsSealedCopy()
    {
        const string Probe = "readlink /proc/$PPID/exe; (echo x > /proc/$PPID/exe) 2>/dev/null && echo exe-written || echo exe-refused";
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--cap-add", "SYS_PTRACE", "--", "sh", "-c", Probe);
        Assert.Equal("/memfd:silo-init (deleted)\nexe-refused\n", result.Stdout);
    }
}
