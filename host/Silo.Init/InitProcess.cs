using System.Text.Json;
using Silo.Abstractions.Plan;
using Silo.Native;

namespace Silo.Init;

/// <summary>
/// The life of silo-init, in the child: in the new namespaces, holding whatever privilege the
/// user namespace (or real root) gives, and single-purposed:
/// read the plan, perform each step, start the target, reap until the target exits, report.
/// </summary>
internal sealed class InitProcess
{
    private const int SiloFailure = 125;

    private readonly int _planFd;
    private readonly ReportChannel _report;
    private readonly List<(string Resource, ulong Soft, ulong Hard)> _targetLimits = [];

    public InitProcess(int planFd, int reportFd)
    {
        _planFd = planFd;
        _report = new ReportChannel(reportFd);
    }

    public int Run()
    {
        // Nothing inside may ptrace silo-init or open its /proc/PID files (exe, mem, fd): a
        // process that is not dumpable is closed to anyone without CAP_SYS_PTRACE over it. The
        // target's own exec makes it dumpable again. And no descriptor of ours (the report
        // channel on 4, those stages hand on from 5) may reach the target: the trampoline keeps
        // 0-2 and places only a terminal there on purpose.
        try
        {
            Sys.SetDumpable(false);
            Sys.CloseOnExecFrom(_planFd);
        }
        catch (SyscallException e)
        {
            _report.Send(new Report(ReportKind.Failed) { Text = $"close silo-init to the sandbox: {e.Message}" });
            return SiloFailure;
        }

        ChildPlan? plan = ReadPlan();
        if (plan is null)
        {
            return SiloFailure;
        }

        // With a terminal of its own for the target, silo-init lets go of the user's terminal
        // (its stdin, stdout and stderr, inherited from silo) before any step runs: as PID 1 it
        // lives as long as the sandbox, and a process inside that can open /proc/1/fd/0 could
        // otherwise read the user's keys or push bytes into the user's shell.
        if (plan.Target.Terminal is int terminal && !LetGoOfHostTerminal(terminal))
        {
            return SiloFailure;
        }

        if (!RunSteps(plan))
        {
            return SiloFailure;
        }

        // Outside a new PID namespace we are not PID 1, so orphans would go to the host's init:
        // as a subreaper they come to us instead, and we can reap them and end them at exit.
        if (Sys.GetPid() != 1)
        {
            Sys.Prctl(Sys.PrctlOption.SetChildSubreaper, 1, "prctl PR_SET_CHILD_SUBREAPER");
        }

        var launcher = new TargetLauncher(plan.Target, _targetLimits, _report);
        int? pid = launcher.Start(out int failureCode);
        if (pid is null)
        {
            return failureCode;
        }

        return new Reaper(pid.Value, _report).WaitForTarget();
    }

    private bool LetGoOfHostTerminal(int terminal)
    {
        try
        {
            for (int fd = 0; fd <= 2; fd++)
            {
                Sys.Dup2(terminal, fd);
            }

            return true;
        }
        catch (SyscallException e)
        {
            _report.Send(new Report(ReportKind.Failed) { Text = $"give up the user's terminal: {e.Message}" });
            return false;
        }
    }

    private ChildPlan? ReadPlan()
    {
        try
        {
            var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(_planFd, ownsHandle: true);
            using var stream = new FileStream(handle, FileAccess.Read);
            return JsonSerializer.Deserialize(stream, PlanJsonContext.Default.ChildPlan)
                ?? throw new JsonException("empty plan");
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            _report.Send(new Report(ReportKind.Failed) { Text = $"read the plan on descriptor {_planFd}: {e.Message}" });
            return null;
        }
    }

    // Each step is one primitive. A failure stops the run at once: later steps assume the earlier
    // ones happened (a mount into a root that was never made would land on the host's tree).
    private bool RunSteps(ChildPlan plan)
    {
        for (int i = 0; i < plan.Steps.Count; i++)
        {
            PlanStep step = plan.Steps[i];
            if (plan.Trace)
            {
                _report.Send(new Report(ReportKind.StepStarting) { Step = i });
            }

            try
            {
                StepRunner.Execute(step.Operation, _targetLimits);
            }
            catch (SyscallException e)
            {
                _report.Send(new Report(ReportKind.StepFailed) { Step = i, Call = e.Call, Errno = e.Errno });
                return false;
            }
            catch (NotSupportedException e)
            {
                _report.Send(new Report(ReportKind.StepFailed) { Step = i, Text = e.Message });
                return false;
            }
        }

        return true;
    }
}
