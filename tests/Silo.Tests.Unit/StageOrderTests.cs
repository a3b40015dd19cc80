using Silo.Abstractions;

namespace Silo.Tests.Unit;

public sealed class StageOrderTests
{
    private static IIsolationStage[] FiveStages() =>
        [FakeStage.Uts(), FakeStage.Pid(), FakeStage.User(), FakeStage.Mount(), FakeStage.Net()];

    [Fact]
    public void Sort_FiveStages_UserFirstNetLastLessonsBetween()
    {
        var order = StageOrder.Sort(FiveStages()).Select(s => s.Name);
        Assert.Equal(["user", "uts", "pid", "mount", "net"], order);
    }

    [Fact]
    public void Sort_AnyInputOrder_GivesTheSameOrder()
    {
        var expected = StageOrder.Sort(FiveStages()).Select(s => s.Name).ToList();
        var random = new Random(42);
        for (int i = 0; i < 20; i++)
        {
            var shuffled = FiveStages().OrderBy(_ => random.Next()).ToArray();
            Assert.Equal(expected, StageOrder.Sort(shuffled).Select(s => s.Name));
        }
    }

    [Fact]
    public void Sort_ExplicitAfter_OverridesLessonOrder()
    {
        var late = new FakeStage("late", 1, CloneFlags.None, new StageOrdering(["mount"], []));
        var order = StageOrder.Sort([late, FakeStage.Mount(), FakeStage.Uts()]).Select(s => s.Name);
        Assert.Equal(["uts", "mount", "late"], order);
    }

    [Fact]
    public void Sort_ExplicitConstraint_BeatsAWildcard()
    {
        // net wants to be last, but a lock-down stage insists on running after it.
        var seal = new FakeStage("seal", 9, CloneFlags.None, new StageOrdering(["net"], []));
        var order = StageOrder.Sort([seal, FakeStage.Net(), FakeStage.Uts()]).Select(s => s.Name);
        Assert.Equal(["uts", "net", "seal"], order);
    }

    [Fact]
    public void Sort_NamesAStageThatIsOff_IgnoresIt()
    {
        var stage = new FakeStage("x", 1, CloneFlags.None, new StageOrdering(["not-enabled"], []));
        Assert.Equal(["x"], StageOrder.Sort([stage]).Select(s => s.Name));
    }

    [Fact]
    public void Sort_Cycle_IsRefusedNamingTheStages()
    {
        var a = new FakeStage("a", 1, CloneFlags.None, new StageOrdering(["b"], []));
        var b = new FakeStage("b", 2, CloneFlags.None, new StageOrdering(["a"], []));
        var e = Assert.Throws<InvalidOperationException>(() => StageOrder.Sort([a, b]));
        Assert.Contains("a, b", e.Message);
        Assert.Contains("cycle", e.Message);
    }

    [Fact]
    public void Sort_TwoStagesBothFirst_IsACycle()
    {
        var other = new FakeStage("other", 1, CloneFlags.None, StageOrdering.First);
        Assert.Throws<InvalidOperationException>(() => StageOrder.Sort([other, FakeStage.User()]));
    }
}
