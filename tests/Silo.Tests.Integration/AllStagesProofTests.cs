namespace Silo.Tests.Integration;

/// <summary>
/// The proof that the stages together isolate: <c>rm -rf /</c> inside harms nothing outside.
/// </summary>
/// <remarks>
/// This test is destructive if isolation is broken, so it keeps a strict protocol. It never runs
/// silo as root: every run drops to uid 65534, and the sentinel and the rootfs belong to that
/// uid, so that an escape would show as a missing file instead of being stopped by permissions.
/// Before each destructive run, a harmless probe with the same options must prove that neither
/// the sentinel nor the rootfs's host path is visible inside; otherwise the test fails there.
/// </remarks>
[Trait("Stage", "all-stages")]
public sealed class AllStagesProofTests
{
    private const string Destroy = "rm -rf --no-preserve-root / 2>/dev/null; true";

    // Canaries that root inside can always delete (its own files on the writable layer and in
    // /tmp): if they survive, rm did not run, and the proof would prove nothing.
    private const string Plant = "touch /usr/silo-canary /tmp/silo-canary || echo plant-failed; ";
    private const string CheckCanaries =
        "; for c in /usr/silo-canary /tmp/silo-canary; do test -e $c && echo \"survived: $c\"; done; echo destroyed";

    [Fact(DisplayName = "all-stages: rm -rf / inside, as an ordinary user, leaves the host's files and the rootfs intact")]
    public void RemoveEverything_LeavesHostIntact()
    {
        string owned = Path.Combine(Silo.SharedTempDirectory("silo-proof-"), "owned-by-nobody");
        Directory.CreateDirectory(owned);
        string sentinel = Path.Combine(owned, "sentinel");
        File.WriteAllText(sentinel, "still here\n");
        Silo.Host("chown", "-R", $"{Silo.Nobody}:{Silo.Nobody}", owned);
        string rootfs = TestRootfs.Create(withBash: true, owner: Silo.Nobody);
        string rootfsBefore = TestRootfs.Checksum(rootfs);

        // The default root (the host's system directories under a layer), then the rootfs.
        foreach (string[] options in (string[][])[[], ["--rootfs", rootfs]])
        {
            ProbeSeesNothing(options, sentinel, rootfs);
            var result = RunAsNobody([.. options, "--", "bash", "-c", Plant + Destroy + CheckCanaries]);
            Assert.True(result.ExitCode == 0 && result.Stdout == "destroyed\n", result.ToString());
            Assert.Equal("still here\n", File.ReadAllText(sentinel));
            Assert.Equal(rootfsBefore, TestRootfs.Checksum(rootfs));
        }

        Assert.True(File.Exists("/usr/bin/bash"));
    }

    private static void ProbeSeesNothing(string[] options, string sentinel, string rootfs)
    {
        var probe = RunAsNobody([.. options, "--", "bash", "-c",
            "for p in \"$@\"; do test -e \"$p\" && echo \"visible: $p\"; done; echo probed", "_", sentinel, rootfs]);
        Assert.True(probe.ExitCode == 0 && probe.Stdout == "probed\n",
            $"the harmless probe could see host paths, so the destructive run was not made: {probe}");
    }

    // The only way this class runs silo: as uid 65534, never as root.
    private static SiloResult RunAsNobody(string[] args)
    {
        Assert.NotEqual(0, Silo.Nobody);
        return Silo.RunAs(Silo.Nobody, ["--stages", "all", .. args]);
    }
}
