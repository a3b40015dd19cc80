using Silo.Abstractions;
using Silo.Abstractions.Plan;

namespace Silo.Stage.FaultyConstructor;

/// <summary>A stage whose constructor throws, as one that reads a missing resource would.</summary>
public sealed class FaultyConstructorStage : IIsolationStage
{
    public const string Fault = "the faulty test stage refuses to be constructed";

    public FaultyConstructorStage()
    {
        throw new InvalidOperationException(Fault);
    }

    public string Name => "faulty-constructor";

    public string Summary => "a test plugin whose constructor throws";

    public string Isolates => "nothing";

    public int Lesson => 91;

    public CloneFlags CloneFlag => CloneFlags.None;

    public StageOrdering Ordering => StageOrdering.None;

    public IReadOnlyList<StageOption> Options => [];

    public void Plan(StageContext context)
    {
    }
}
