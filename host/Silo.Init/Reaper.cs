using System.Runtime.InteropServices;
using Silo.Abstractions.Plan;
using Silo.Native;

namespace Silo.Init;

/// <summary>
/// The duties of an init while the target runs: pass on the signals the host forwards, reap every
/// child that ends (orphans are re-parented to us: we are PID 1 in a new PID namespace, or a
/// child subreaper otherwise), and when the target exits, end what it left behind and report its
/// status.
/// </summary>
internal sealed class Reaper
{
    // The signals a user expects to reach the program: interrupt, terminate, hang-up, quit, the
    // two user signals and the window-size change.
    private static readonly int[] s_forwarded = [2, 15, 1, 3, 10, 12, 28];
    private const int SIGKILL = 9;

    private readonly int _target;
    private readonly ReportChannel _report;

    public Reaper(int target, ReportChannel report)
    {
        _target = target;
        _report = report;
    }

    public int WaitForTarget()
    {
        var registrations = s_forwarded
            .Select(sig => PosixSignalRegistration.Create((PosixSignal)sig, Forward))
            .ToList();
        int status = WaitFor(_target);
        foreach (var registration in registrations)
        {
            registration.Dispose();
        }

        EndTheRest();
        int? code = Sys.ExitCode(status);
        int? signal = Sys.TermSignal(status);
        _report.Send(new Report(ReportKind.Exited) { Code = code, Signal = signal });
        return code ?? 128 + (signal ?? 0);
    }

    private void Forward(PosixSignalContext context)
    {
        context.Cancel = true;
        Sys.Kill(_target, (int)context.Signal);
    }

    // Reaps every child that ends until the target itself does; orphans that exit meanwhile are
    // reaped here too, so no zombie lingers.
    private static int WaitFor(int target)
    {
        while (true)
        {
            int pid = Sys.WaitPid(-1, out int status);
            if (pid == target || pid == 0)
            {
                return status;
            }
        }
    }

    // As PID 1 of its own PID namespace, our exit makes the kernel kill every process left in it.
    // Without a PID namespace, we kill our remaining children (daemons the target left behind were
    // re-parented to us as subreaper) and reap them.
    private static void EndTheRest()
    {
        if (Sys.GetPid() == 1)
        {
            return;
        }

        for (int round = 0; round < 100; round++)
        {
            int[] children = Children();
            if (children.Length == 0)
            {
                return;
            }

            foreach (int child in children)
            {
                Sys.Kill(child, SIGKILL);
            }

            foreach (int child in children)
            {
                Sys.WaitPid(child, out _);
            }
        }
    }

    private static int[] Children()
    {
        int self = Sys.GetPid();
        string path = $"/proc/{self}/task/{self}/children";
        try
        {
            return File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        }
        catch (IOException)
        {
            return [];
        }
    }
}
