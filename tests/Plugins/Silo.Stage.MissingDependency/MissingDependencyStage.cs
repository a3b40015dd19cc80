using Silo.Abstractions;
using Silo.Abstractions.Plan;
using Silo.TestPlugins.Dependency;

namespace Silo.Stage.MissingDependency;

/// <summary>
/// A stage that uses its dependency only inside <see cref="Plan"/>: the runtime would load the
/// dependency only there, at first use, so only the host's check at load time finds it missing.
/// </summary>
public sealed class MissingDependencyStage : IIsolationStage
{
    public string Name => "missing-dependency";

    public string Summary => "a test plugin whose own dependency is missing";

    public string Isolates => "nothing";

    public int Lesson => 92;

    public CloneFlags CloneFlag => CloneFlags.None;

    public StageOrdering Ordering => StageOrdering.None;

    public IReadOnlyList<StageOption> Options => [];

    public void Plan(StageContext context)
    {
        context.Log.Step(Greeting.Text);
    }
}
