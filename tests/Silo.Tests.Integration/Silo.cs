using System.Diagnostics;

namespace Silo.Tests.Integration;

/// <summary>What one run of the published silo did.</summary>
public sealed record SiloResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>How to run silo: as whom, with what on stdin, for how long.</summary>
public sealed record SiloRun
{
    /// <summary>Run as this uid and gid (through setpriv), or as the test runner (root) when null.</summary>
    public int? AsUid { get; init; }

    /// <summary>Text for silo's stdin; stdin is empty (/dev/null-like) when null.</summary>
    public string? Stdin { get; init; }

    /// <summary>The working directory; a world-readable temporary folder when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>How long before the run is killed and the test fails.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Runs the real published silo. The published folder (SILO_PUBLISHED, or artifacts/silo of this
/// checkout) is copied once to a world-readable temporary folder, so that an unprivileged uid can
/// run it wherever the checkout lives.
/// </summary>
public static class Silo
{
    /// <summary>The unprivileged uid and gid the tests drop to: nobody and nogroup on Debian.</summary>
    public const int Nobody = 65534;

    private static readonly Lazy<string> s_installed = new(Install);
    private static readonly List<string> s_made = [];

    /// <summary>The path of the silo binary the tests run.</summary>
    public static string Binary => Path.Combine(s_installed.Value, "silo");

    /// <summary>A folder under /tmp that every uid can read and write, removed at process exit.</summary>
    public static string SharedTempDirectory(string prefix)
    {
        string dir = Directory.CreateTempSubdirectory(prefix).FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("1777", 8));
        lock (s_made)
        {
            s_made.Add(dir);
        }

        return dir;
    }

    /// <summary>
    /// Removes every folder <see cref="SharedTempDirectory"/> made, silo's installed copy among
    /// them: called once, when the last test has run (see <see cref="TempFolders"/>). The test
    /// runner is root, so it can remove what the sandboxes made in them too, whoever owns it.
    /// </summary>
    internal static void RemoveMade()
    {
        lock (s_made)
        {
            foreach (string dir in s_made.Where(Directory.Exists))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"tests: could not remove {dir}: {e.Message}");
                }
            }

            s_made.Clear();
        }
    }

    public static SiloResult Run(params string[] args) => Run(new SiloRun(), args);

    public static SiloResult RunAs(int uid, params string[] args) => Run(new SiloRun { AsUid = uid }, args);

    public static SiloResult Run(SiloRun run, params string[] args) =>
        Execute(StartInfo(run.AsUid, args, run.WorkingDirectory ?? "/tmp"), run.Stdin, run.Timeout);

    /// <summary>
    /// How to start silo with every stream redirected: as the given uid through setpriv, which
    /// execs silo in place (so the process started is silo itself), or as the test runner.
    /// </summary>
    public static ProcessStartInfo StartInfo(int? uid, IEnumerable<string> args, string workingDirectory = "/tmp")
    {
        var start = new ProcessStartInfo(uid is null ? Binary : "setpriv")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        string[] prefix = uid is int id ? [$"--reuid={id}", $"--regid={id}", "--clear-groups", "--", Binary] : [];
        foreach (string a in (string[])[.. prefix, .. args])
        {
            start.ArgumentList.Add(a);
        }

        return start;
    }

    /// <summary>Runs any program and collects what it printed (for host-side checks).</summary>
    public static SiloResult Host(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        return Execute(start, null, TimeSpan.FromSeconds(60));
    }

    private static SiloResult Execute(ProcessStartInfo start, string? stdin, TimeSpan timeout)
    {
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish within {timeout}");
        }

        return new SiloResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string Install()
    {
        string source = Environment.GetEnvironmentVariable("SILO_PUBLISHED") ?? FindPublished();
        if (!File.Exists(Path.Combine(source, "silo")))
        {
            throw new InvalidOperationException($"no published silo in {source}: run 'dotnet run build.cs -- publish' first");
        }

        string target = SharedTempDirectory("silo-it-");
        var copy = Process.Start("cp", ["-a", source + "/.", target])!;
        copy.WaitForExit();
        Process.Start("chmod", ["-R", "a+rX", target])!.WaitForExit();
        return target;
    }

    private static string FindPublished()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Silo.Workbench.sln")))
            {
                return Path.Combine(dir.FullName, "artifacts", "silo");
            }
        }

        return "artifacts/silo";
    }
}
