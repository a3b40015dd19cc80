namespace Silo.Tests.Integration;

/// <summary>The user stage's milestone: root inside, nobody outside.</summary>
[Trait("Stage", "user")]
public sealed class UserStageTests
{
    [Fact(DisplayName = "user: an ordinary user is root inside")]
    public void Unprivileged_IsRootInside()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--", "id", "-u");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("0\n", result.Stdout);
    }

    [Fact(DisplayName = "user: an ordinary user's uid_map and gid_map map root inside to the caller's own ids")]
    public void Unprivileged_MapsRootToCaller()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--userns", "single", "--", "cat", "/proc/self/uid_map", "/proc/self/gid_map");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(["0 65534 1", "0 65534 1"], lines);
    }

    [Fact(DisplayName = "user: a file root inside creates is owned by the caller outside")]
    public void Unprivileged_FileCreatedInside_IsOwnedByCallerOutside()
    {
        string dir = Silo.SharedTempDirectory("silo-user-");
        string file = Path.Combine(dir, "made-inside");
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--", "touch", file);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("65534:65534", Silo.Host("stat", "-c", "%u:%g", file).Stdout.Trim());
    }

    [Fact(DisplayName = "user: a file root inside creates in a bind-mounted folder of the caller's is the caller's outside")]
    public void Unprivileged_FileCreatedInBoundFolder_IsOwnedByCallerOutside()
    {
        string dir = Silo.SharedTempDirectory("silo-user-");
        string own = Path.Combine(dir, "own");
        Directory.CreateDirectory(own);
        Assert.Equal(0, Silo.Host("chown", $"{Silo.Nobody}:{Silo.Nobody}", own).ExitCode);
        File.SetUnixFileMode(own, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = Silo.RunAs(
            Silo.Nobody, "--stages", "user,mount", "--bind", $"{own}:/data", "--", "sh", "-c",
            "id -u; touch /data/made-inside && stat -c %u:%g /data/made-inside");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("0\n0:0\n", result.Stdout);
        Assert.Equal($"{Silo.Nobody}:{Silo.Nobody}", Silo.Host("stat", "-c", "%u:%g", Path.Combine(own, "made-inside")).Stdout.Trim());
    }

    [Fact(DisplayName = "user: a root-owned host file of mode 600 can be neither read nor written from inside, though the id inside is 0")]
    public void Unprivileged_RootOnlyHostFile_StaysClosed()
    {
        string dir = Silo.SharedTempDirectory("silo-user-");
        string secret = Path.Combine(dir, "root-secret");
        File.WriteAllText(secret, "host root only\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // The probe first proves the file is there and that uid 0 inside is what tries.
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--", "sh", "-c",
            $"test -e {secret} && id -u && (cat {secret} || echo read-refused) && (echo x >> {secret} || echo write-refused)");
        Assert.Equal(["0", "read-refused", "write-refused"], result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("host root only\n", File.ReadAllText(secret));
    }

    [Fact(DisplayName = "user: as real root, root inside maps to an unprivileged host range, never to host root")]
    public void Root_MapsToUnprivilegedRange()
    {
        var result = Silo.Run("--stages", "user", "--", "cat", "/proc/self/uid_map");
        Assert.Equal(0, result.ExitCode);
        string[] fields = result.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("0", fields[0]);
        Assert.NotEqual("0", fields[1]);
    }

    [Fact(DisplayName = "user: as real root, root inside cannot read a host file that only host root may read")]
    public void Root_InsideIsNotHostRoot()
    {
        string dir = Silo.SharedTempDirectory("silo-user-");
        string secret = Path.Combine(dir, "root-secret");
        File.WriteAllText(secret, "host root only\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var result = Silo.Run("--stages", "user", "--", "sh", "-c", $"cat {secret} || echo refused");
        Assert.Equal("refused\n", result.Stdout);
    }

    [Fact(DisplayName = "user: with the user stage an ordinary user can use the uts stage")]
    public void Unprivileged_UserStageEnablesUts()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "uts,user", "--hostname", "box", "--", "hostname");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("box\n", result.Stdout);
    }

    [Fact(DisplayName = "user: --uid and --gid choose the ids the program runs as inside")]
    public void Root_UidAndGidInside()
    {
        var result = Silo.Run("--stages", "user", "--uid", "1000", "--gid", "1001", "--", "sh", "-c", "id -u; id -g");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("1000\n1001\n", result.Stdout);
    }

    [Fact(DisplayName = "user: an id that is not mapped inside is a usage error (exit 2)")]
    public void Unprivileged_UnmappedUid_Exits2()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--userns", "single", "--uid", "5", "--", "true");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--uid 5 is not mapped inside", result.Stderr);
    }

    [Theory(DisplayName = "user: a malformed id or mode is a usage error (exit 2)")]
    [InlineData("--uid", "-1")]
    [InlineData("--uid", "abc")]
    [InlineData("--gid", "4294967295")]
    [InlineData("--uid", "3000000000")]
    [InlineData("--gid", "2147483648")]
    [InlineData("--userns", "many")]
    public void BadValue_Exits2(string option, string value)
    {
        var result = Silo.Run("--stages", "user", option, value, "--", "true");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option, result.Stderr);
    }

    [Fact(DisplayName = "user: as real root, --map-host-root maps every id through, host root included")]
    public void Root_MapHostRoot_MapsEveryId()
    {
        var result = Silo.Run("--stages", "user", "--map-host-root", "--", "cat", "/proc/self/uid_map");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("0 0 4294967295", string.Join(' ', result.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Trim());
    }

    [Fact(DisplayName = "user: where no user namespace may be made (max_user_namespaces is 0), silo refuses with 125 and says how to raise it")]
    public void NoUserNamespacesAllowed_Exits125()
    {
        // The limit is per user namespace: the test sets it to 0 in a namespace of its own, made
        // as uid 65534, so the host's setting is never touched. A control run in the same
        // namespace before the write shows that silo works there.
        string script =
            $"{Silo.Binary} --stages user -- true && echo control-ran; " +
            $"echo 0 > /proc/sys/user/max_user_namespaces && exec {Silo.Binary} --stages user -- true";
        var result = Silo.Host(
            "setpriv", $"--reuid={Silo.Nobody}", $"--regid={Silo.Nobody}", "--clear-groups",
            "unshare", "--user", "--map-root-user", "sh", "-c", script);
        Assert.Equal("control-ran\n", result.Stdout);
        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("silo: user: ", line);
        Assert.Contains("max_user_namespaces is 0", line);
        Assert.Contains("sysctl -w user.max_user_namespaces=", line);
    }

    [Fact(DisplayName = "user: without the user stage, an ordinary user's mount stage refuses and names both ways out")]
    public void Unprivileged_MountWithoutUserStage_Exits125()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "mount", "--", "true");
        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("silo: mount: ", line);
        Assert.Contains("run as root or enable the user stage", line);
    }

    [Fact(DisplayName = "user: --map-host-root is refused to an ordinary user (exit 2)")]
    public void Unprivileged_MapHostRoot_Exits2()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--map-host-root", "--", "true");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("needs real root", result.Stderr);
    }
}

/// <summary>Range mode through newuidmap: needs a subordinate range for the test's uid.</summary>
[Trait("Stage", "user")]
[Collection(nameof(SubordinateRangeCollection))]
public sealed class UserStageRangeTests(SubordinateRangeFixture range)
{
    [Fact(DisplayName = "user: with a subordinate range, an ordinary user gets 65537 ids inside through newuidmap")]
    public void Range_MapsOwnIdAndSubordinateRange()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--userns", "range", "--", "cat", "/proc/self/uid_map");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal(["0 65534 1", $"1 {range.First} 65536"], lines);
    }

    [Fact(DisplayName = "user: in range mode a program can run as uid 1000 inside, which is a subordinate uid outside")]
    public void Range_RunsAsOtherUid()
    {
        string dir = Silo.SharedTempDirectory("silo-user-");
        string file = Path.Combine(dir, "made-by-1000");
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--userns", "range", "--uid", "1000", "--gid", "1000", "--", "sh", "-c", $"id -u; touch {file}");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("1000\n", result.Stdout);
        Assert.Equal($"{range.First + 999}", Silo.Host("stat", "-c", "%u", file).Stdout.Trim());
    }
}

[CollectionDefinition(nameof(SubordinateRangeCollection))]
public sealed class SubordinateRangeCollection : ICollectionFixture<SubordinateRangeFixture>;

/// <summary>
/// Gives uid 65534 a subordinate range in /etc/subuid and /etc/subgid for the tests of this
/// collection, and restores both files afterwards. uidmap's newuidmap must be installed.
/// </summary>
public sealed class SubordinateRangeFixture : IDisposable
{
    private readonly Dictionary<string, string?> _original = [];

    public SubordinateRangeFixture()
    {
        foreach (string file in (string[])["/etc/subuid", "/etc/subgid"])
        {
            _original[file] = File.Exists(file) ? File.ReadAllText(file) : null;
            string text = _original[file] ?? "";
            if (!text.Split('\n').Any(l => l.StartsWith($"{Silo.Nobody}:", StringComparison.Ordinal) || l.StartsWith("nobody:", StringComparison.Ordinal)))
            {
                File.WriteAllText(file, text + (text.Length == 0 || text.EndsWith('\n') ? "" : "\n") + $"{Silo.Nobody}:{First}:65536\n");
            }
        }
    }

    public long First => 300_000;

    public void Dispose()
    {
        foreach (var (file, text) in _original)
        {
            if (text is null)
            {
                File.Delete(file);
            }
            else
            {
                File.WriteAllText(file, text);
            }
        }
    }
}
