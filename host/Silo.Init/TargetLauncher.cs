using Silo.Abstractions.Plan;
using Silo.Native;

namespace Silo.Init;

/// <summary>
/// Finds the target inside the sandbox, changes to its working directory, and starts it through
/// the C trampoline. Reports why when it cannot: 127 for a program that is not there, 126 for one
/// that cannot be executed, as <c>docker run</c> and the shell do.
/// </summary>
internal sealed class TargetLauncher
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private const int ENOENT = 2;

    private const int LimitFailed = 123;

    private readonly TargetSpec _target;
    private readonly IReadOnlyList<(string Resource, ulong Soft, ulong Hard)> _limits;
    private readonly ReportChannel _report;

    public TargetLauncher(
        TargetSpec target, IReadOnlyList<(string Resource, ulong Soft, ulong Hard)> limits, ReportChannel report)
    {
        _target = target;
        _limits = limits;
        _report = report;
    }

    /// <summary>Returns the target's pid, or null with the exit code silo should end with.</summary>
    public int? Start(out int failureCode)
    {
        failureCode = 0;
        try
        {
            Sys.ChangeDirectory(_target.WorkingDirectory);
        }
        catch (SyscallException e)
        {
            return Fail(ReportKind.Failed, $"working directory: {e.Message}", 125, out failureCode);
        }

        string program = _target.Argv[0];
        string? path = Resolve(program, out string? notExecutable);
        if (path is null)
        {
            return notExecutable is null
                ? Fail(ReportKind.ExecFailed, $"{program}: command not found in PATH={SearchPath()} inside the sandbox{InRoot()}", 127, out failureCode)
                : Fail(ReportKind.ExecFailed, $"{notExecutable}: permission denied: not executable", 126, out failureCode);
        }

        return Spawn(path, out failureCode);
    }

    private int? Spawn(string path, out int failureCode)
    {
        failureCode = 0;
        var (readEnd, writeEnd) = Sys.Pipe();
        int pid;
        try
        {
            pid = Sys.SpawnTarget(
                path, _target.Argv, _target.Environment, _target.Terminal ?? -1, _target.Uid, _target.Gid, _limits,
                writeEnd);
        }
        finally
        {
            Sys.Close(writeEnd);
        }

        // End of file on the pipe means the exec succeeded (the pipe closed with it); four bytes
        // are the errno of whatever failed in the child.
        Span<byte> buffer = stackalloc byte[4];
        int n = Sys.ReadFully(readEnd, buffer, "exec status pipe");
        Sys.Close(readEnd);
        if (n < 4)
        {
            _report.Send(new Report(ReportKind.Started) { Pid = pid, Text = path });
            return pid;
        }

        int errno = BitConverter.ToInt32(buffer);
        Sys.WaitPid(pid, out int status);
        if (Sys.ExitCode(status) == 127)
        {
            int code = errno == ENOENT ? 127 : 126;
            return Fail(ReportKind.ExecFailed, $"{path}: execve: {Errno.Describe(errno)}", code, out failureCode);
        }

        if (Sys.ExitCode(status) == LimitFailed)
        {
            string limits = string.Join(", ", _limits.Select(l => $"{l.Resource}={l.Soft}:{l.Hard}"));
            string text = $"set the target's resource limits ({limits}): prlimit: {Errno.Describe(errno)}";
            return Fail(ReportKind.Failed, text, 125, out failureCode);
        }

        string ids = $"uid {_target.Uid?.ToString() ?? "unchanged"}, gid {_target.Gid?.ToString() ?? "unchanged"}";
        return Fail(ReportKind.Failed, $"prepare the target ({ids}): {Errno.Describe(errno)}", 125, out failureCode);
    }

    private int? Fail(ReportKind kind, string text, int code, out int failureCode)
    {
        _report.Send(new Report(kind) { Text = text, Code = code });
        failureCode = code;
        return null;
    }

    private string InRoot() => _target.Root is null ? "" : $", whose root is {_target.Root}";

    private string SearchPath() =>
        _target.Environment.FirstOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? DefaultPath;

    // The shell's rule: a name with a slash is a path; otherwise the first executable regular
    // file of that name along PATH. A match that is not executable is remembered for the message.
    private string? Resolve(string program, out string? notExecutable)
    {
        notExecutable = null;
        if (program.Contains('/'))
        {
            return Check(program, ref notExecutable);
        }

        foreach (string dir in SearchPath().Split(':'))
        {
            string candidate = Path.Combine(dir.Length == 0 ? "." : dir, program);
            if (Check(candidate, ref notExecutable) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static string? Check(string candidate, ref string? notExecutable)
    {
        if (!File.Exists(candidate))
        {
            return null;
        }

        if (Sys.IsExecutable(candidate))
        {
            return candidate;
        }

        notExecutable ??= candidate;
        return null;
    }
}
