using Silo.Abstractions;
using Silo.Abstractions.Plan;

namespace Silo;

/// <summary>
/// <c>silo plan</c>: what a run would do, in the order it would do it, with the system call of
/// each child-side step, so a learner can read the whole sandbox before it exists.
/// </summary>
internal static class PlanPrinter
{
    public static void Write(TextWriter output, PlannedRun run)
    {
        ChildPlan plan = run.Plan;
        output.WriteLine($"stages, in execution order: {(plan.Stages.Count == 0 ? "(none)" : string.Join(", ", plan.Stages))}");
        output.WriteLine($"clone:  clone({CloneFlagNames.Format(plan.CloneFlags)} | SIGCHLD), then the child waits for the host");
        output.WriteLine("host:   parent-side work of each stage, then releases the child, which execs silo-init");
        output.WriteLine("child:  silo-init performs, in order:");
        if (plan.Steps.Count == 0)
        {
            output.WriteLine("          (no steps)");
        }

        for (int i = 0; i < plan.Steps.Count; i++)
        {
            PlanStep step = plan.Steps[i];
            string phase = step.Phase == PlanPhase.LockDown ? " (lock-down)" : "";
            output.WriteLine($"  {i + 1,3}. [{step.Stage}] {step.Description}{phase}");
            output.WriteLine($"          {step.Operation.Describe()}");
        }

        TargetSpec target = plan.Target;
        string ids = target.Uid is null && target.Gid is null ? "" : $", as uid {target.Uid?.ToString() ?? "-"} gid {target.Gid?.ToString() ?? "-"}";
        output.WriteLine($"target: {string.Join(' ', target.Argv.Select(Quote))}  (in {target.WorkingDirectory}{ids})");
        output.WriteLine("        started by silo-init, which stays beside it to reap and forward signals");
    }

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
}
