using System.ComponentModel;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using Silo.Abstractions;
using Silo.Native;

namespace Silo.Stage.Net;

/// <summary>
/// The user-mode network helper, slirp4netns, run by the host for one sandbox. It enters the
/// sandbox's network namespace, creates <c>tap0</c> there, and carries the sandbox's packets as
/// ordinary sockets of the caller on the host: no privilege on the host is needed.
/// </summary>
internal sealed class Slirp4netns
{
    public const string Program = "slirp4netns";
    public const string Package = "slirp4netns";
    public const string Interface = "tap0";

    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(2);

    private readonly Process _process;
    private readonly int _exitFd;
    private readonly int _readyFd;
    private readonly string? _apiDirectory;
    private readonly IStageLog _log;
    private readonly Queue<string> _lastLines = new();
    private readonly CountdownEvent _openStreams = new(2);
    private readonly Lock _lock = new();
    private Action<StageFailureException>? _onDeath;
    private bool _stopping;

    private Slirp4netns(Process process, int exitFd, int readyFd, string? apiDirectory, IStageLog log)
    {
        _process = process;
        _exitFd = exitFd;
        _readyFd = readyFd;
        _apiDirectory = apiDirectory;
        _log = log;
    }

    private string? ApiSocket => _apiDirectory is null ? null : Path.Combine(_apiDirectory, "api.sock");

    /// <summary>Finds a program in PATH, as a shell would; null when there is none.</summary>
    public static string? FindInPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(Sys.IsExecutable);

    /// <summary>Starts the helper for the network namespace of <paramref name="childPid"/>.</summary>
    public static Slirp4netns Start(
        string path, string setsid, int childPid, bool hostLoopback, bool withApi, IStageLog log)
    {
        // Two pipes tie the helper to this run. It writes to the ready pipe once tap0 is
        // configured, and exits as soon as the exit pipe's write end closes: when the host closes
        // it on purpose, and also when silo dies, even of SIGKILL, so no helper outlives silo.
        var exit = Sys.Pipe();
        var ready = Sys.Pipe();
        Sys.KeepOpenOnExec(exit.Read);
        Sys.KeepOpenOnExec(ready.Write);
        string? apiDirectory = withApi ? Directory.CreateTempSubdirectory("silo-net-").FullName : null;

        // setsid(1) gives the helper a session of its own, so that ^C at the terminal, meant for
        // the program in the sandbox, does not also kill the sandbox's network.
        var start = new ProcessStartInfo(setsid)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Known limitation: no IPv6 on tap0; the helper's --enable-ipv6 is still experimental.
        // Fix: add it once slirp4netns calls it stable, and test an IPv6 route.
        var arguments = new List<string>
        {
            path, "--configure", "--mtu=65520", $"--ready-fd={ready.Write}", $"--exit-fd={exit.Read}",
            "--enable-sandbox", "--enable-seccomp",
        };
        if (!hostLoopback)
        {
            arguments.Add("--disable-host-loopback");
        }

        if (apiDirectory is not null)
        {
            arguments.Add($"--api-socket={Path.Combine(apiDirectory, "api.sock")}");
        }

        // The pid form: the helper joins the user and network namespaces of /proc/PID. The pid
        // cannot name another process meanwhile: the child is ours, blocked on the sync pipe,
        // and not reaped until the host waits for it.
        arguments.AddRange([childPid.ToString(), Interface]);
        arguments.ForEach(start.ArgumentList.Add);
        log.Step($"start {string.Join(' ', arguments)} (in a session of its own)");

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new StageFailureException("start the network helper", $"{setsid} {path}: {e.Message}");
        }
        finally
        {
            Sys.Close(exit.Read);
            Sys.Close(ready.Write);
        }

        var helper = new Slirp4netns(process, exit.Write, ready.Read, apiDirectory, log);
        // Its stdout is a summary of the settings and a warning that seccomp support is
        // experimental, block-buffered into a pipe, that arrives only when it exits: narrated,
        // but no reason for a failure. Its errors go to stderr.
        process.OutputDataReceived += (_, e) => helper.Remember(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => helper.Remember(e.Data, isError: true);
        process.Exited += (_, _) => helper.OnExited();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return helper;
    }

    /// <summary>Waits until the helper says tap0 is configured; throws when it dies first.</summary>
    public void WaitUntilReady()
    {
        using var stream = new FileStream(new SafeFileHandle(_readyFd, ownsHandle: true), FileAccess.Read, 1);
        var read = Task.Run(() => stream.ReadByte());
        if (!read.Wait(s_readyTimeout))
        {
            throw Failure($"no ready signal within {s_readyTimeout.TotalSeconds:0} s");
        }

        if (read.Result < 0)
        {
            // End of file without a byte: the helper exited before it was ready. Its stderr
            // holds the reason.
            WaitForLastWords();
            throw Failure(_process.HasExited
                ? $"{Program} {HowItEnded(_process.ExitCode)}"
                : $"{Program} closed its ready pipe");
        }

        // What it said while starting is no reason for an end that comes later.
        lock (_lastLines)
        {
            _lastLines.Clear();
        }

        _log.Step($"{Program} is ready: {Interface} has 10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3");
    }

    /// <summary>Asks the helper, through its API socket, to forward a port of the host inside.</summary>
    public void Publish(PortMapping mapping)
    {
        var request = new JsonObject
        {
            ["execute"] = "add_hostfwd",
            ["arguments"] = new JsonObject
            {
                ["proto"] = mapping.Protocol,
                ["host_addr"] = mapping.HostAddress.ToString(),
                ["host_port"] = mapping.HostPort,
                ["guest_port"] = mapping.GuestPort,
            },
        };
        _log.Step($"publish {mapping}: {request.ToJsonString()} to {ApiSocket}");
        string answer = Ask(request.ToJsonString());
        JsonNode? reply = JsonNode.Parse(answer);
        if (reply?["error"] is { } error)
        {
            throw new StageFailureException(
                $"publish {mapping}",
                $"{Program} add_hostfwd: {error["desc"]?.GetValue<string>() ?? error.ToJsonString()}",
                $"host port {mapping.HostPort} may be in use, or below 1024 and privileged: choose another with -p");
        }
    }

    /// <summary>
    /// Removes the API socket once every port is published. Until then a program in the sandbox
    /// that shares the host's /tmp could ask the helper to publish anything; afterwards nobody can
    /// reach it.
    /// </summary>
    public void CloseApi()
    {
        if (_apiDirectory is not null && Directory.Exists(_apiDirectory))
        {
            Directory.Delete(_apiDirectory, recursive: true);
        }
    }

    /// <summary>
    /// From now until <see cref="Stop"/>, the helper's end is a failure of the run, handed to
    /// <paramref name="fail"/> on whichever thread sees it end.
    /// </summary>
    public void FailWhenItDies(Action<StageFailureException> fail)
    {
        lock (_lock)
        {
            _onDeath = fail;
        }

        // The helper may have ended already, before anyone watched: then the event may not come.
        _process.EnableRaisingEvents = true;
        if (_process.HasExited)
        {
            OnExited();
        }
    }

    /// <summary>Stops the helper: closes the exit pipe, and kills it if it does not go.</summary>
    public void Stop()
    {
        // Waits for a death that is being reported, so that the process is not disposed of
        // under OnExited; from here on, the helper's end is no failure.
        lock (_lock)
        {
            _stopping = true;
        }

        Sys.Close(_exitFd);
        if (!_process.WaitForExit(s_stopTimeout))
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.WaitForExit(); // drains the stdout and stderr readers
        _process.Dispose();
        CloseApi();
    }

    private string Ask(string json)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(ApiSocket!));
            socket.Send(Encoding.UTF8.GetBytes(json));
            // The helper answers once the request is complete, which it learns from end of file.
            socket.Shutdown(SocketShutdown.Send);
            var answer = new MemoryStream();
            var buffer = new byte[4096];
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                answer.Write(buffer, 0, n);
            }

            return Encoding.UTF8.GetString(answer.ToArray());
        }
        catch (SocketException e)
        {
            throw Failure($"API socket {ApiSocket}: {Errno.Describe(e.NativeErrorCode)}");
        }
    }

    // The helper ended while the sandbox ran: the sandbox has no network any more, and a program
    // inside would see only timeouts, so the run fails (the host ends the sandbox) rather than
    // going on without one.
    private void OnExited()
    {
        lock (_lock)
        {
            Action<StageFailureException>? fail = _stopping ? null : _onDeath;
            _onDeath = null;
            if (fail is null)
            {
                return;
            }

            WaitForLastWords();
            fail(new StageFailureException(
                "keep user-mode networking",
                $"{Program} {HowItEnded(_process.ExitCode)} while the sandbox ran{LastLine()}",
                $"silo ended the sandbox, which had lost its network; --trace shows all {Program} said; " +
                "without a network, use --net none"));
        }
    }

    // Known limitation: .NET reports a process killed by signal N as exit status 128 + N, the way
    // a shell does, so a helper that itself exits with 129 to 192 is said to be killed by a
    // signal. Fix: start the helper through the trampoline and wait for it with waitid.
    private static string HowItEnded(int status) =>
        status is > 128 and <= 128 + 64
            ? $"was killed by signal {status - 128} (status {status})"
            : $"exited with status {status}";

    // Bounded waits: the helper has ended, or is about to, and its stdout and stderr reach end of
    // file soon after, unless a process it started still holds them.
    private void WaitForLastWords()
    {
        if (_process.WaitForExit(s_stopTimeout))
        {
            _openStreams.Wait(s_stopTimeout);
        }
    }

    private StageFailureException Failure(string detail) =>
        new("attach user-mode networking", detail + LastLine(),
            $"--trace shows all the helper said; without a network, use --net none");

    private void Remember(string? line, bool isError)
    {
        if (line is null)
        {
            _openStreams.Signal(); // end of file
            return;
        }

        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        _log.Step($"{Program}: {line.Trim()}");
        if (!isError)
        {
            return;
        }

        lock (_lastLines)
        {
            _lastLines.Enqueue(line.Trim());
            if (_lastLines.Count > 8)
            {
                _lastLines.Dequeue();
            }
        }
    }

    // The helper's own words on why it failed, such as 'open("/dev/net/tun"): Permission denied',
    // are the most useful part of the message: the last line on stderr that is not its usual
    // chatter.
    private string LastLine()
    {
        lock (_lastLines)
        {
            string? line = _lastLines.LastOrDefault(l => !l.StartsWith("child failed", StringComparison.Ordinal))
                ?? _lastLines.LastOrDefault();
            return line is null ? "" : $" ({Program} said: {line})";
        }
    }
}
