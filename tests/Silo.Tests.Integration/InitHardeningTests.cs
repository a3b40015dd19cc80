namespace Silo.Tests.Integration;

/// <summary>
/// Nothing of the host is reachable through silo itself: no descriptor of silo's reaches the
/// program, and its init can be neither ptraced nor overwritten from inside. These hold for any
/// set of stages, so they belong to the workbench's milestone.
/// </summary>
[Trait("Stage", "workbench")]
public sealed class InitHardeningTests
{
    // Opens the file for writing and closes it at once, never writing a byte; prints the errno.
    private const string OpensForWriting = """
        import errno, os, sys
        try:
            os.close(os.open(sys.argv[1], os.O_WRONLY))
            print('exe-opened-for-writing')
        except OSError as e:
            print('exe-refused-' + errno.errorcode[e.errno])
        """;

    // The seals of the file (F_GET_SEALS on a read-only descriptor), by name.
    private const string ReadsSeals = """
        import errno, fcntl, os, sys
        fd = os.open(sys.argv[1], os.O_RDONLY)
        try:
            seals = fcntl.fcntl(fd, 1034)
            bits = ((1, 'seal'), (2, 'shrink'), (4, 'grow'), (8, 'write'))
            print('seals: ' + ' '.join(name for bit, name in bits if seals & bit))
        except OSError as e:
            print('seals: none (%s: not a memory file)' % errno.errorcode[e.errno])
        finally:
            os.close(fd)
        """;

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

    [Fact(DisplayName =
        "workbench: root inside cannot open silo-init's binary for writing or read its environment through /proc")]
    public void InitIsClosed()
    {
        // The program's parent is silo-init (PID 1 with a PID namespace, its pid otherwise).
        // silo-init is not dumpable, so /proc/PID/exe does not even lead to its binary: EACCES.
        const string Probe =
            "test -d /proc/$PPID && echo init-visible; /usr/bin/python3 -c \"$1\" /proc/$PPID/exe; " +
            "cat /proc/$PPID/environ >/dev/null 2>&1 && echo environ-read || echo environ-refused";
        var result = Silo.RunAs(
            Silo.Nobody, "--stages", "user", "--", "sh", "-c", Probe, "sh", OpensForWriting);
        Assert.Equal("init-visible\nexe-refused-EACCES\nenviron-refused\n", result.Stdout);
    }

    [Fact(DisplayName =
        "workbench: even with CAP_SYS_PTRACE, silo-init's binary is a memory file sealed against writing")]
    public void InitBinary_IsSealedCopy()
    {
        // With CAP_SYS_PTRACE the link leads to the binary. Opening it for writing fails with
        // ETXTBSY, as any running binary does; what keeps it closed once it stops is the seal.
        const string Probe =
            "readlink /proc/$PPID/exe; /usr/bin/python3 -c \"$1\" /proc/$PPID/exe; " +
            "/usr/bin/python3 -c \"$2\" /proc/$PPID/exe";
        var result = Silo.RunAs(
            Silo.Nobody, "--stages", "user", "--cap-add", "SYS_PTRACE", "--",
            "sh", "-c", Probe, "sh", OpensForWriting, ReadsSeals);
        Assert.Equal(
            "/memfd:silo-init (deleted)\nexe-refused-ETXTBSY\nseals: seal shrink grow write\n",
            result.Stdout);
    }

    [Fact(DisplayName =
        "workbench: seen from the host, silo-init runs from a sealed memory file and silo from its file")]
    public void InitBinary_IsSealedSeenFromHost()
    {
        // As root with no user namespace, only the seal keeps silo-init's binary from being
        // written once it stops running. silo's own binary is the contrast: a file, no seals.
        using var silo = BackgroundSilo.Start(
            "--stages", "uts", "--", "sh", "-c", "echo $PPID; read line");
        int init = int.Parse(silo.ReadLine());
        string initSeals = SealsOf(init);
        string hostSeals = SealsOf(ParentOf(init));
        silo.WriteLine("done");
        Assert.Equal(0, silo.WaitForExit());
        Assert.Equal("seals: seal shrink grow write\n", initSeals);
        Assert.Equal("seals: none (EINVAL: not a memory file)\n", hostSeals);
    }

    private static string SealsOf(int pid) =>
        Silo.Host("/usr/bin/python3", "-c", ReadsSeals, $"/proc/{pid}/exe").Stdout;

    private static int ParentOf(int pid) =>
        int.Parse(File.ReadLines($"/proc/{pid}/status")
            .First(l => l.StartsWith("PPid:", StringComparison.Ordinal))[5..]);
}
