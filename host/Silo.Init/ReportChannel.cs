using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Silo.Abstractions.Plan;
using Silo.Native;

namespace Silo.Init;

/// <summary>Writes report records to the host, one line of JSON each.</summary>
internal sealed class ReportChannel
{
    private readonly int _fd;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();

    public ReportChannel(int fd)
    {
        _fd = fd;
    }

    public void Send(Report report)
    {
        report = report with { At = Math.Round(_clock.Elapsed.TotalMilliseconds, 2) };
        string line = JsonSerializer.Serialize(report, PlanJsonContext.Default.Report) + "\n";
        lock (_lock)
        {
            try
            {
                Sys.WriteAll(_fd, Encoding.UTF8.GetBytes(line), "report channel");
            }
            catch (SyscallException)
            {
                // The host is gone (EPIPE): the sandbox is about to be killed with it, and there
                // is no one left to tell.
            }
        }
    }
}
