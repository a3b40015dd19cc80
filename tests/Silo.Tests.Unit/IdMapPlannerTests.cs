using Silo.Abstractions;
using Silo.Stage.User;

namespace Silo.Tests.Unit;

public sealed class IdMapPlannerTests
{
    private static readonly HostFacts s_learner = new(1000, 1000, "learner");
    private static readonly HostFacts s_root = new(0, 0, "root");
    private static readonly IdMapPlanner.SystemIds s_nothing = new("", "", HelpersInstalled: false);
    private static readonly IdMapPlanner.SystemIds s_ranged = new("learner:100000:65536\n", "1000:200000:1000\n", HelpersInstalled: true);

    [Fact]
    public void Choose_UnprivilegedAuto_WithoutRange_MapsOnlyTheCallersIdsAndDeniesSetgroups()
    {
        IdMap map = IdMapPlanner.Choose(s_learner, "auto", false, s_nothing);
        Assert.Equal("0 1000 1\n", IdMap.Text(map.Uids));
        Assert.Equal(MapWriter.Direct, map.Writer);
        Assert.True(map.DenySetgroups);
    }

    [Fact]
    public void Choose_UnprivilegedAuto_WithRangeByNameOrUid_UsesTheHelpers()
    {
        IdMap map = IdMapPlanner.Choose(s_learner, "auto", false, s_ranged);
        Assert.Equal("0 1000 1\n1 100000 65536\n", IdMap.Text(map.Uids));
        Assert.Equal("0 1000 1\n1 200000 1000\n", IdMap.Text(map.Gids));
        Assert.Equal(MapWriter.Helpers, map.Writer);
    }

    [Fact]
    public void Choose_UnprivilegedSingle_IgnoresTheRange()
    {
        Assert.Equal(MapWriter.Direct, IdMapPlanner.Choose(s_learner, "single", false, s_ranged).Writer);
    }

    [Fact]
    public void Choose_UnprivilegedRange_WithoutHelpers_NamesThePackage()
    {
        var e = Assert.Throws<StageFailureException>(() => IdMapPlanner.Choose(s_learner, "range", false, s_ranged with { HelpersInstalled = false }));
        Assert.Contains("apt-get install uidmap", e.Detail);
    }

    [Fact]
    public void Choose_UnprivilegedRange_WithoutEntry_SaysHowToAddOne()
    {
        var e = Assert.Throws<StageFailureException>(() => IdMapPlanner.Choose(s_learner, "range", false, s_nothing with { HelpersInstalled = true }));
        Assert.Contains("/etc/subuid and /etc/subgid have no range for learner", e.Detail);
        Assert.Contains("usermod --add-subuids", e.Detail);
    }

    [Fact]
    public void Choose_Root_MapsRootToTheDefaultUnprivilegedRange()
    {
        IdMap map = IdMapPlanner.Choose(s_root, "auto", false, s_nothing);
        Assert.Equal("0 100000 65536\n", IdMap.Text(map.Uids));
        Assert.False(map.MapsUid(65536));
        Assert.True(map.MapsUid(65535));
    }

    [Fact]
    public void Choose_Root_UsesRootsOwnSubordinateRange()
    {
        IdMap map = IdMapPlanner.Choose(s_root, "auto", false, new("root:500000:1000\n", "", false));
        Assert.Equal("0 500000 1000\n", IdMap.Text(map.Uids));
        Assert.Equal("0 100000 65536\n", IdMap.Text(map.Gids));
    }

    [Fact]
    public void Choose_RootWithMapHostRoot_MapsEveryIdToItself()
    {
        IdMap map = IdMapPlanner.Choose(s_root, "auto", true, s_nothing);
        Assert.Equal("0 0 4294967295\n", IdMap.Text(map.Uids));
    }

    [Fact]
    public void Choose_UnprivilegedWithMapHostRoot_IsAUsageError()
    {
        Assert.Throws<StageUsageException>(() => IdMapPlanner.Choose(s_learner, "auto", true, s_nothing));
    }

    [Theory]
    [InlineData("# comment\nother:1:2\nlearner:7:8\n", 7L, 8L)]
    [InlineData("1000:9:10\n", 9L, 10L)]
    [InlineData("learner:x:10\nlearner:3:0\n", null, null)]
    public void SubordinateIds_Find_ByNameOrUid(string text, long? first, long? count)
    {
        var found = SubordinateIds.Find(text, "learner", 1000);
        Assert.Equal(first, found?.First);
        Assert.Equal(count, found?.Count);
    }

    [Fact]
    public void Choose_RootOfAnEnclosingUserNamespace_MapsItsOwnRootOnly()
    {
        var nested = s_ranged with { InInitialUserNamespace = false };

        IdMap map = IdMapPlanner.Choose(s_root, "auto", false, nested);

        Assert.Equal([new IdRange(0, 0, 1)], map.Uids);
        Assert.Equal([new IdRange(0, 0, 1)], map.Gids);
        Assert.Equal(MapWriter.Direct, map.Writer);
    }

    [Fact]
    public void Choose_RootOfAnEnclosingUserNamespaceWithMapHostRoot_IsAUsageError()
    {
        var e = Assert.Throws<StageUsageException>(
            () => IdMapPlanner.Choose(s_root, "auto", true, s_ranged with { InInitialUserNamespace = false }));
        Assert.Contains("not of the host", e.Message);
    }
}
