namespace Silo.Tests.Integration;

/// <summary>The mount stage's milestone: a root of the sandbox's own.</summary>
[Trait("Stage", "mount")]
public sealed class MountStageTests
{
    // Each check runs as real root with the mount stage alone, and as an ordinary user with the
    // user stage, which gives the child its privilege.
    public static TheoryData<string> Callers => new() { "root", "nobody" };

    private static SiloResult Run(string caller, params string[] args) => caller == "root"
        ? Silo.Run(["--stages", "mount", .. args])
        : Silo.RunAs(Silo.Nobody, ["--stages", "user,mount", .. args]);

    [Theory(DisplayName = "mount: a file the host made is not visible inside")]
    [MemberData(nameof(Callers))]
    public void HostFile_IsInvisibleInside(string caller)
    {
        string sentinel = Path.Combine(Silo.SharedTempDirectory("silo-mount-"), "sentinel");
        File.WriteAllText(sentinel, "host\n");
        var result = Run(caller, "--", "sh", "-c", "test -e \"$1\" && echo visible || echo invisible", "_", sentinel);
        Assert.Equal("invisible\n", result.Stdout);
        Assert.True(File.Exists(sentinel));
    }

    [Theory(DisplayName = "mount: /home and /root are empty inside")]
    [MemberData(nameof(Callers))]
    public void Homes_AreEmpty(string caller)
    {
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries("/home").Concat(Directory.EnumerateFileSystemEntries("/root")));
        var result = Run(caller, "--", "ls", "-A", "/home", "/root");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("/home:\n\n/root:\n", result.Stdout);
    }

    [Theory(DisplayName = "mount: a write to /usr succeeds inside and is gone afterwards")]
    [MemberData(nameof(Callers))]
    public void WriteToUsr_SucceedsAndVanishes(string caller)
    {
        string file = $"/usr/silo-mount-test-{Guid.NewGuid():N}";
        var result = Run(caller, "--", "sh", "-c", "echo inside > \"$1\" && cat \"$1\"", "_", file);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("inside\n", result.Stdout);
        Assert.False(File.Exists(file));
    }

    [Theory(DisplayName = "mount: a system file deleted inside is still there on the host")]
    [MemberData(nameof(Callers))]
    public void DeleteInEtc_LeavesHostFile(string caller)
    {
        // Root inside a user namespace may not delete host-root-owned files at all (EACCES);
        // real root deletes from its ephemeral layer only. Either way the host keeps the file.
        string before = File.ReadAllText("/etc/hostname");
        var result = Run(caller, "--", "sh", "-c", "rm -f /etc/hostname 2>/dev/null; echo done");
        Assert.Equal("done\n", result.Stdout);
        Assert.Equal(before, File.ReadAllText("/etc/hostname"));
    }

    [Theory(DisplayName = "mount: with --ro, writes to the root fail with EROFS while /tmp stays writable")]
    [MemberData(nameof(Callers))]
    public void ReadOnly_WritesFailWithErofs(string caller)
    {
        var result = Run(caller, "--ro", "--", "sh", "-c", "touch /usr/x; touch /x; touch /tmp/x && echo tmp-writable");
        Assert.Equal("tmp-writable\n", result.Stdout);
        Assert.Equal(2, result.Stderr.Split('\n').Count(l => l.Contains("Read-only file system")));
    }

    [Theory(DisplayName = "mount: --rootfs runs in the directory, takes writes, and leaves it unchanged")]
    [MemberData(nameof(Callers))]
    public void Rootfs_IsUsedAndUnchanged(string caller)
    {
        string rootfs = TestRootfs.Create(owner: caller == "root" ? null : Silo.Nobody);
        string before = TestRootfs.Checksum(rootfs);
        var result = Run(caller, "--rootfs", rootfs, "--", "sh", "-c",
            "cat /etc/motd && echo new > /etc/new && rm /etc/motd && rm /bin/wc && mkdir /made && ls /etc");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("a test rootfs\nnew\n", result.Stdout);
        Assert.Equal(before, TestRootfs.Checksum(rootfs));
    }

    [Theory(DisplayName = "mount: --rootfs with --ro is read-only and needs no mount point in the rootfs")]
    [MemberData(nameof(Callers))]
    public void RootfsReadOnly_IsReadOnlyAndUnchanged(string caller)
    {
        string rootfs = TestRootfs.Create(owner: caller == "root" ? null : Silo.Nobody);
        string before = TestRootfs.Checksum(rootfs);
        var result = Run(caller, "--rootfs", rootfs, "--ro", "--", "sh", "-c", "ls /proc/self/ >/dev/null && touch /etc/x");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Read-only file system", result.Stderr);
        Assert.Equal(before, TestRootfs.Checksum(rootfs));
    }

    [Theory(DisplayName = "mount: no mount of the host's root file system or other host mount is listed inside")]
    [MemberData(nameof(Callers))]
    public void Mountinfo_ListsNoHostMount(string caller)
    {
        string[] hostRoot = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')).First(f => f[4] == "/");
        var result = Run(caller, "--", "cat", "/proc/self/mountinfo");
        Assert.Equal(0, result.ExitCode);
        string[][] inside = [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' '))];
        string[] own = ["/", "/usr", "/etc", "/opt", "/var", "/home", "/root", "/tmp", "/var/tmp", "/run", "/mnt", "/media"];
        Assert.DoesNotContain(inside, f => f[2] == hostRoot[2]);
        Assert.All(inside, f => Assert.True(
            own.Contains(f[4]) || f[4].StartsWith("/proc", StringComparison.Ordinal) ||
            f[4].StartsWith("/dev", StringComparison.Ordinal) || f[4].StartsWith("/sys", StringComparison.Ordinal),
            $"unexpected mount point inside: {string.Join(' ', f)}"));
    }

    [Fact(DisplayName = "mount: with the pid stage, /proc shows only the sandbox's processes")]
    public void Proc_WithPidStage_ShowsOnlySandbox()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user,pid,mount", "--", "ls", "/proc");
        Assert.True(result.ExitCode == 0, result.ToString());
        int[] pids = [.. result.Stdout.Split('\n').Where(e => e.Length > 0 && e.All(char.IsAsciiDigit)).Select(int.Parse)];
        // Two processes exist inside: silo-init as PID 1, and ls itself (whose pid comes after the
        // ids silo-init's own threads took).
        Assert.True(pids.Length == 2 && pids.Contains(1), $"processes listed in /proc inside: {string.Join(", ", pids)}");
    }

    [Theory(DisplayName = "mount: the kernel's sensitive /proc files are masked and /proc/sys is read-only")]
    [MemberData(nameof(Callers))]
    public void Proc_SensitivePartsMaskedAndReadOnly(string caller)
    {
        // Writing the current hostname back is harmless even if the protection were missing.
        var result = Run(caller, "--", "sh", "-c",
            "wc -c < /proc/keys; ls -A /proc/acpi | wc -l; cat /proc/sys/kernel/hostname > /proc/sys/kernel/hostname");
        Assert.Equal("0\n0\n", result.Stdout);
        Assert.Contains("Read-only file system", result.Stderr);
    }

    [Theory(DisplayName = "mount: /dev holds the usual devices and a pty multiplexer of its own, and no disk")]
    [MemberData(nameof(Callers))]
    public void Dev_IsMinimal(string caller)
    {
        var result = Run(caller, "--", "sh", "-c",
            "ls /dev; echo x > /dev/null && head -c 4 /dev/urandom | wc -c; test -c /dev/pts/ptmx && echo ptmx");
        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] expected = ["fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"];
        Assert.Equal([.. expected, "4", "ptmx"], lines);
    }

    [Theory(DisplayName = "mount: /sys is read-only")]
    [MemberData(nameof(Callers))]
    public void Sys_IsReadOnly(string caller)
    {
        var result = Run(caller, "--", "sh", "-c", "test -d /sys/kernel && mkdir /sys/x");
        Assert.Contains("Read-only file system", result.Stderr);
    }

    [Theory(DisplayName = "mount: --bind shows a host directory writable, :ro read-only, and --workdir starts there")]
    [MemberData(nameof(Callers))]
    public void Bind_WritableAndReadOnly(string caller)
    {
        string dir = Silo.SharedTempDirectory("silo-bind-");
        File.WriteAllText(Path.Combine(dir, "given"), "from the host\n");
        var result = Run(caller, "--bind", $"{dir}:/data", "--bind", $"{dir}:/frozen:ro", "--workdir", "/data", "--",
            "sh", "-c", "pwd; cat given; echo back > made; touch /frozen/no");
        Assert.Equal("/data\nfrom the host\n", result.Stdout);
        Assert.Contains("Read-only file system", result.Stderr);
        Assert.Equal("back\n", File.ReadAllText(Path.Combine(dir, "made")));
        Assert.False(File.Exists(Path.Combine(dir, "no")));
    }

    [Theory(DisplayName = "mount: --tmpfs mounts an empty tmpfs where asked")]
    [MemberData(nameof(Callers))]
    public void Tmpfs_IsMounted(string caller)
    {
        var result = Run(caller, "--tmpfs", "/opt/scratch", "--", "sh", "-c", "grep ' /opt/scratch ' /proc/self/mountinfo | grep -c tmpfs");
        Assert.Equal("1\n", result.Stdout);
    }

    [Theory(DisplayName = "mount: a link planted in a rootfs that leads out is refused, and nothing is made on the host")]
    [MemberData(nameof(Callers))]
    public void PlantedLink_IsRefused(string caller)
    {
        string hostDir = Silo.SharedTempDirectory("silo-escape-");
        string rootfs = TestRootfs.Create(owner: caller == "root" ? null : Silo.Nobody);
        File.CreateSymbolicLink(Path.Combine(rootfs, "escape"), hostDir);

        var onto = Run(caller, "--rootfs", rootfs, "--tmpfs", "/escape", "--", "true");
        Assert.Equal(125, onto.ExitCode);
        Assert.Contains("/escape inside the new root", onto.Stderr);
        Assert.Contains("is a symbolic link", onto.Stderr);

        var through = Run(caller, "--rootfs", rootfs, "--bind", $"{hostDir}:/escape/sub", "--", "true");
        Assert.Equal(125, through.ExitCode);
        Assert.Contains("is a symbolic link", through.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(hostDir));
    }

    [Theory(DisplayName = "mount: a link with '..' planted in a rootfs stays inside the root")]
    [MemberData(nameof(Callers))]
    public void PlantedDotDotLink_IsContained(string caller)
    {
        // Outside the root, rootfs/up leads to the host's /; inside, ".." stops at the new root.
        string rootfs = TestRootfs.Create(owner: caller == "root" ? null : Silo.Nobody);
        File.CreateSymbolicLink(Path.Combine(rootfs, "up"), string.Concat(Enumerable.Repeat("../", 12)));
        string planted = $"/tmp/silo-planted-{Guid.NewGuid():N}";
        string source = Silo.SharedTempDirectory("silo-source-");
        File.WriteAllText(Path.Combine(source, "mark"), "bound\n");

        var result = Run(caller, "--rootfs", rootfs, "--bind", $"{source}:/up{planted}", "--", "cat", planted + "/mark");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("bound\n", result.Stdout);
        Assert.False(Directory.Exists(planted));
    }

    [Theory(DisplayName = "mount: a rootfs whose /proc is a symbolic link is refused with one line and exit 125, and nothing runs")]
    [MemberData(nameof(Callers))]
    public void RootfsProcLink_IsRefused(string caller)
    {
        // A link to a directory in the rootfs: followed, proc would be mounted on rootfs/etc,
        // and the rootfs's own files would stand for /proc in its place.
        string rootfs = TestRootfs.Create(owner: caller == "root" ? null : Silo.Nobody);
        File.CreateSymbolicLink(Path.Combine(rootfs, "proc"), "etc");
        string outside = Silo.SharedTempDirectory("silo-proc-");

        var result = Run(caller, "--rootfs", rootfs, "--bind", $"{outside}:/out",
            "--", "touch", "/out/ran");
        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("silo: mount: ", line);
        Assert.Contains(": /proc inside the new root (", line);
        Assert.Contains("/proc) is a symbolic link", line);
        Assert.False(File.Exists(Path.Combine(outside, "ran")));
    }

    [Theory(DisplayName = "mount: a /proc covered by --tmpfs or --bind is not procfs, and is refused after pivot_root with one line and exit 125")]
    [MemberData(nameof(Callers))]
    public void ProcCovered_IsRefused(string caller)
    {
        string source = Silo.SharedTempDirectory("silo-fakeproc-");
        File.WriteAllText(Path.Combine(source, "cmdline"), "a file that pretends\n");
        string[][] covers = [["--tmpfs", "/proc"], ["--bind", $"{source}:/proc"]];
        foreach (string[] cover in covers)
        {
            var result = Run(caller, [.. cover, "--", "true"]);
            Assert.Equal(125, result.ExitCode);
            string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("silo: mount: check that /proc is the kernel's proc: /proc is not a proc file system (statfs type 0x", line);
        }

        // The control: the same run without the cover gets past the check.
        Assert.Equal(0, Run(caller, "--", "true").ExitCode);
    }

    [Fact(DisplayName = "mount: a command missing in the rootfs exits 127 with a message naming the rootfs")]
    public void MissingCommand_Exits127NamingRoot()
    {
        string rootfs = TestRootfs.Create();
        var result = Silo.Run("--stages", "mount", "--rootfs", rootfs, "--", "bash");
        Assert.Equal(127, result.ExitCode);
        Assert.Contains($"whose root is the rootfs {rootfs}", result.Stderr);
    }

    [Fact(DisplayName = "mount: a missing rootfs or bind source is one line and exit 125; a malformed --bind is exit 2")]
    public void BadInput_OneLine()
    {
        var rootfs = Silo.Run("--stages", "mount", "--rootfs", "/nonexistent-rootfs", "--", "true");
        Assert.Equal(125, rootfs.ExitCode);
        Assert.Equal("silo: mount: find the rootfs: /nonexistent-rootfs is not a directory; give --rootfs an existing directory\n", rootfs.Stderr);

        var bind = Silo.Run("--stages", "mount", "--bind", "/nonexistent-source:/x", "--", "true");
        Assert.Equal(125, bind.ExitCode);
        Assert.Single(bind.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(2, Silo.Run("--stages", "mount", "--bind", "a:b:c:d", "--", "true").ExitCode);
        Assert.Equal(2, Silo.Run("--stages", "mount", "--bind", "/tmp:relative", "--", "true").ExitCode);
        Assert.Equal(2, Silo.Run("--stages", "mount", "--tmpfs", "/a/../b", "--", "true").ExitCode);
    }

    [Fact(DisplayName = "mount: a rootfs the kernel will not overlay is one line and exit 125")]
    public void Rootfs_NotOverlayable_OneLine()
    {
        // procfs can never be an overlayfs layer.
        var result = Silo.Run("--stages", "mount", "--rootfs", "/proc/sys", "--", "true");
        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("overlay the rootfs /proc/sys", line);
    }
}
