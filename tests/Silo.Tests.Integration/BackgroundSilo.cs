using System.Diagnostics;

namespace Silo.Tests.Integration;

/// <summary>
/// A silo run the test keeps talking to while it runs: read its output line by line, write to its
/// stdin, signal it, then wait for its exit status.
/// </summary>
public sealed class BackgroundSilo : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    private readonly Process _process;

    private BackgroundSilo(Process process)
    {
        _process = process;
    }

    public static BackgroundSilo Start(params string[] args) => StartAs(null, args);

    /// <summary>
    /// Starts silo as the given uid (through setpriv, which execs silo, so the process the test
    /// signals is silo itself), or as the test runner when null.
    /// </summary>
    public static BackgroundSilo StartAs(int? uid, params string[] args)
    {
        var start = new ProcessStartInfo(uid is null ? Silo.Binary : "setpriv")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/tmp",
        };
        string[] prefix = uid is int id ? [$"--reuid={id}", $"--regid={id}", "--clear-groups", "--", Silo.Binary] : [];
        foreach (string a in (string[])[.. prefix, .. args])
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return new BackgroundSilo(process);
    }

    /// <summary>The next line silo's stdout shows; fails the test after 30 s.</summary>
    public string ReadLine()
    {
        var line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(s_wait))
        {
            throw new TimeoutException("silo printed no line within 30 s");
        }

        return line.Result ?? throw new EndOfStreamException("silo's stdout ended");
    }

    public void WriteLine(string text)
    {
        _process.StandardInput.WriteLine(text);
        _process.StandardInput.Flush();
    }

    /// <summary>Sends a signal, by name, to the silo process itself (not to its group).</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString()])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public int WaitForExit()
    {
        if (!_process.WaitForExit(s_wait))
        {
            throw new TimeoutException("silo did not exit within 30 s");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
