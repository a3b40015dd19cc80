using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Silo.Abstractions;
using Silo.Abstractions.Plan;
using Silo.Native;

namespace Silo;

/// <summary>
/// The spawn path, in the host: hand the plan over, clone the child through the trampoline, do
/// every stage's parent-side work, release the child, then relay its reports until it ends.
/// </summary>
internal sealed class Runner
{
    // What the host passes on to the target when the user signals silo: interrupt, terminate,
    // hang-up, quit, the user signals and window-size changes.
    private static readonly int[] s_forwarded = [2, 15, 1, 3, 10, 12, 28];
    private const int SigKill = 9;
    private const int SIGWINCH = 28;

    private readonly HostLog _log;
    private readonly HostFacts _host;
    private readonly Invocation _invocation;
    private readonly List<Action> _cleanups = [];
    private TerminalRelay? _terminal;
    private LateFailure? _late;

    public Runner(Invocation invocation, HostFacts host, HostLog log)
    {
        _invocation = invocation;
        _host = host;
        _log = log;
    }

    public static string InitPath => Path.Combine(AppContext.BaseDirectory, "silo-init");

    public int Run(PlannedRun run)
    {
        if (!File.Exists(InitPath))
        {
            _log.Error($"host: find silo-init: {InitPath} does not exist; build the whole of silo with 'dotnet run build.cs -- publish' and run artifacts/silo/silo");
            return ExitCodes.SiloFailure;
        }

        ChildPlan plan = run.Plan;
        using TerminalRelay? terminal = GiveTerminal(run);
        _terminal = terminal;

        // The child runs silo-init from a sealed copy in memory: nothing inside the sandbox can
        // write to it through /proc/PID/exe (the class of CVE-2019-5736), and the copy can be
        // executed by root of a user namespace that maps to an unprivileged host uid, wherever
        // silo itself is installed.
        int initFd = Sys.SealedCopy(InitPath, "silo-init");
        _log.Trace("host", "silo-init copied into a sealed memory file (memfd_create, F_ADD_SEALS)");
        int planFd = WritePlan(plan);
        _log.Trace("host", $"the plan is in a memory file for the child: {plan.Steps.Count} steps");
        var report = Sys.Pipe();
        var sync = Sys.Pipe();
        var execStatus = Sys.Pipe();

        _log.Trace("host", $"clone({CloneFlagNames.Format(plan.CloneFlags)} | SIGCHLD), child waits for the host on a pipe");
        int pid = Sys.CloneChild(
            (ulong)plan.CloneFlags, initFd, ["silo-init"], [],
            [planFd, report.Write, .. run.InheritedDescriptors], sync, execStatus.Write);
        _log.Trace("host", $"child is pid {pid} on the host");
        _late = new LateFailure(pid, plan.CloneFlags.HasFlag(CloneFlags.NewPid), _log);
        int[] childOnly = [initFd, sync.Read, report.Write, execStatus.Write, planFd, .. run.InheritedDescriptors];
        foreach (int fd in childOnly)
        {
            Sys.Close(fd);
        }

        // With a terminal of its own, a resize reaches the sandbox through that terminal instead.
        int[] forwarded = terminal is null ? s_forwarded : [.. s_forwarded.Where(s => s != SIGWINCH)];
        var forwarding = forwarded.Select(sig => PosixSignalRegistration.Create((PosixSignal)sig, ctx =>
        {
            ctx.Cancel = true;
            Sys.Kill(pid, (int)ctx.Signal);
        })).ToList();
        try
        {
            return Supervise(pid, plan, sync.Write, execStatus.Read, report.Read);
        }
        finally
        {
            forwarding.ForEach(r => r.Dispose());
            RunCleanups();
        }
    }

    private int Supervise(int pid, ChildPlan plan, int syncFd, int execStatusFd, int reportFd)
    {
        try
        {
            SetUpParents(pid);
            _late!.Release();
        }
        catch (StageFailureException)
        {
            // The child still waits in the trampoline and has run nothing: end of file on the
            // sync pipe tells it to give up, and SIGKILL makes sure it does.
            Sys.Close(syncFd);
            Sys.Kill(pid, SigKill);
            Sys.WaitPid(pid, out _);
            throw;
        }

        _terminal?.Start();
        _log.Trace("host", "parent-side work done: releasing the child, which execs silo-init");
        Sys.WriteAll(syncFd, [1], "sync pipe");

        // The sync pipe stays open until the child has execed: until then, a hang-up on it is how
        // the child learns that silo died while the kernel could not tell it (see silo-native.c).
        Span<byte> errno = stackalloc byte[4];
        int errnoBytes = Sys.ReadFully(execStatusFd, errno, "exec status pipe");
        Sys.Close(syncFd);
        if (errnoBytes == 4)
        {
            Sys.WaitPid(pid, out int childStatus);
            string step = Sys.ExitCode(childStatus) == 124
                ? "become root of the user namespace: setresuid(0, 0, 0)"
                : $"exec silo-init (a sealed copy of {InitPath}): execveat";
            _log.Error($"host: {step}: {Errno.Describe(BitConverter.ToInt32(errno))}");
            return ExitCodes.SiloFailure;
        }

        Sys.Close(execStatusFd);
        Outcome outcome = RelayReports(reportFd, plan);
        _late!.TargetEnded();
        Sys.WaitPid(pid, out int status);
        _terminal?.Drain();
        // A stage that failed while the sandbox ran has ended it: its line is the one to show,
        // not the signal that ended the target or silo-init.
        if (_late.Failure is { } failure)
        {
            throw failure;
        }

        return outcome.ExitCode ?? FromInitStatus(status);
    }

    // The target gets a new pseudo-terminal when silo's stdin is a terminal (see TerminalRelay),
    // unless a stage has already chosen one for it.
    private TerminalRelay? GiveTerminal(PlannedRun run)
    {
        if (run.Plan.Target.Terminal is not null || TerminalRelay.OpenIfInteractive() is not { } terminal)
        {
            return null;
        }

        run.Plan.Target.Terminal = run.Builder.Inherit(terminal.Slave);
        _log.Trace("host", "stdin is a terminal: the target gets a new pseudo-terminal " +
            $"(descriptor {run.Plan.Target.Terminal} in the child), and silo relays to it");
        return terminal;
    }

    private void SetUpParents(int pid)
    {
        var names = _invocation.Stages.Select(s => s.Name).ToHashSet();
        foreach (IIsolationStage stage in _invocation.Stages)
        {
            var context = new ParentContext(
                pid, names, _host, _invocation.Options, _log.For(stage.Name), _cleanups.Add,
                failure => _late!.Report(stage.Name, failure));
            StageName.Attach(stage, "parent-side work", () => stage.SetUpParent(context));
        }
    }

    private int FromInitStatus(int status)
    {
        if (Sys.TermSignal(status) is { } signal)
        {
            _log.Error($"host: silo-init was killed by signal {signal} before it reported the target's status");
            return ExitCodes.SignalBase + signal;
        }

        _log.Error($"host: silo-init exited with status {Sys.ExitCode(status)} without reporting the target's status");
        return ExitCodes.SiloFailure;
    }

    private static int WritePlan(ChildPlan plan)
    {
        int fd = Sys.MemfdCreate("silo-plan");
        Sys.WriteAll(fd, PlanCodec.Write(plan), "plan");
        Sys.Rewind(fd);
        return fd;
    }

    private sealed class Outcome
    {
        public int? ExitCode { get; set; }
    }

    // Reads the child's report lines until it closes the channel (it exits): narration is printed
    // as it arrives, so --trace shows the child's steps in order with the host's.
    private Outcome RelayReports(int reportFd, ChildPlan plan)
    {
        var outcome = new Outcome();
        using var stream = new FileStream(new SafeFileHandle(reportFd, ownsHandle: true), FileAccess.Read, 1);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            Handle(PlanCodec.ReadReport(line), plan, outcome);
        }

        return outcome;
    }

    private void Handle(Report report, ChildPlan plan, Outcome outcome)
    {
        PlanStep? step = report.Step is int i && i >= 0 && i < plan.Steps.Count ? plan.Steps[i] : null;
        switch (report.Kind)
        {
            case ReportKind.StepStarting when step is not null:
                _log.Trace(step.Stage, $"{step.Description}: {step.Operation.Describe()}");
                break;
            case ReportKind.StepFailed when step is not null:
                string cause = report.Errno is int errno ? $"{report.Call}: {Errno.Describe(errno)}" : report.Text ?? "failed";
                _log.Error($"{step.Stage}: {step.Description}: {cause}{(step.Hint is null ? "" : "; " + step.Hint)}");
                outcome.ExitCode = ExitCodes.SiloFailure;
                break;
            case ReportKind.Failed:
                _log.Error($"init: {report.Text}");
                outcome.ExitCode = report.Code ?? ExitCodes.SiloFailure;
                break;
            case ReportKind.ExecFailed:
                _log.Error($"exec: {report.Text}");
                outcome.ExitCode = report.Code ?? ExitCodes.NotExecutable;
                break;
            case ReportKind.Started:
                // Raw only from here, so that silo's own lines before (--trace) print as usual.
                _log.Trace("init", $"execve({report.Text}): target is pid {report.Pid} inside (at {report.At} ms in silo-init)");
                if (report.Pid is int target)
                {
                    _late!.TargetStarted(target);
                }

                _terminal?.EnterRawMode();
                break;
            case ReportKind.Exited:
                _late!.TargetEnded();
                _terminal?.Restore();
                _log.Trace("init", report.Signal is int sig ? $"target died of signal {sig}" : $"target exited with {report.Code}");
                outcome.ExitCode = report.Code ?? ExitCodes.SignalBase + (report.Signal ?? 0);
                break;
            case ReportKind.Note:
                _log.Trace("init", report.Text ?? "");
                break;
        }
    }

    private void RunCleanups()
    {
        for (int i = _cleanups.Count - 1; i >= 0; i--)
        {
            try
            {
                _cleanups[i]();
            }
            catch (Exception e) when (e is IOException or SyscallException or InvalidOperationException)
            {
                _log.Warn("host", $"cleanup after the sandbox: {e.Message}");
            }
        }

        _cleanups.Clear();
    }
}
