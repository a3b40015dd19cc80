using System.Text.Json;
using Silo.Abstractions.Plan;

namespace Silo;

/// <summary>
/// Prepares the plan's JSON code on a second core while the first loads the stage plugins. Most of
/// what writing the plan and reading the child's reports costs is the JIT compiling the generated
/// serializers the first time they run (ReadyToRun cannot precompile the framework's generic code
/// over silo's types); done here, that work overlaps with plugin loading instead of adding to it.
/// </summary>
internal static class CodecWarmUp
{
    public static void Start()
    {
        ThreadPool.UnsafeQueueUserWorkItem(_ => WarmUp(), null);
    }

    private static void WarmUp()
    {
        var plan = new ChildPlan
        {
            Steps = [new PlanStep("warm-up", "warm up", new SetHostname("warm-up"), PlanPhase.Setup)],
        };
        JsonSerializer.SerializeToUtf8Bytes(plan, PlanJsonContext.Default.ChildPlan);
        JsonSerializer.Deserialize("{\"Kind\":\"Started\",\"Pid\":1,\"At\":1.5}", PlanJsonContext.Default.Report);
    }
}
