using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Silo.Tests.Integration;

/// <summary>
/// The net stage's milestone: a network of the sandbox's own. Every probe goes only to loopback
/// addresses, to sockets the test made itself, or into the sandbox's own namespace.
/// </summary>
[Trait("Stage", "net")]
public sealed class NetStageTests
{
    // Debian's interpreter: root's PATH may put a version manager's shim first.
    private const string Python = "/usr/bin/python3";

    // Connects to a TCP port or an abstract unix socket and says what happened, so that a test
    // can tell "refused" (nothing there in this namespace) from a probe that is itself broken.
    private const string Probe = """
        import errno, socket, sys
        kind, where = sys.argv[1], sys.argv[2]
        if kind == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            address = (sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1", int(where))
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address = "\0" + where
        s.settimeout(5)
        try:
            s.connect(address)
            print("connected")
        except ConnectionRefusedError:
            print("refused")
        except OSError as e:
            if e.errno != errno.ENETUNREACH:
                raise
            print("unreachable")
        """;

    [Fact(DisplayName = "net: the sandbox has only a loopback interface, and it is up")]
    public void Links_OnlyLoopback_Up()
    {
        var result = Silo.Run("--stages", "net", "--", "ip", "-o", "link");
        Assert.Equal(0, result.ExitCode);
        string line = Assert.Single(result.Stdout.TrimEnd().Split('\n'));
        Assert.StartsWith("1: lo: <LOOPBACK,UP", line);
    }

    [Fact(DisplayName = "net: the sandbox is in a network namespace other than the host's")]
    public void Namespace_IsNew()
    {
        string host = Silo.Host("readlink", "/proc/self/ns/net").Stdout.Trim();
        string inside = Silo.Run("--stages", "net", "--", "readlink", "/proc/self/ns/net").Stdout.Trim();
        Assert.StartsWith("net:[", inside);
        Assert.NotEqual(host, inside);
    }

    [Fact(DisplayName = "net: a listener inside on 127.0.0.1 is reachable from inside")]
    public void Loopback_Inside_Works()
    {
        const string script = """
            import socket
            server = socket.create_server(("127.0.0.1", 0))
            client = socket.create_connection(server.getsockname(), timeout=5)
            peer, _ = server.accept()
            peer.sendall(b"over the sandbox's loopback")
            print(client.recv(100).decode())
            """;
        var result = Silo.Run("--stages", "net", "--", Python, "-c", script);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("over the sandbox's loopback\n", result.Stdout);
    }

    [Fact(DisplayName =
        "net: a listener on the host's 127.0.0.1 is not reachable from inside, though it is without the stage")]
    public void HostLoopback_NotReachable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        AssertReachableOnlyWhenShared("tcp", ((IPEndPoint)listener.LocalEndpoint).Port.ToString());
    }

    [Fact(DisplayName =
        "net: an abstract unix socket bound on the host is not reachable from inside, though it is without the stage")]
    public void AbstractUnixSocket_NotReachable()
    {
        // Abstract unix sockets have no file: their names live in the network namespace.
        string name = $"silo-test-{Guid.NewGuid():N}";
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        socket.Listen();
        AssertReachableOnlyWhenShared("unix", name);
    }

    [Fact(DisplayName = "net: without the net stage, silo stages and --trace say the network is shared with the host")]
    public void WithoutStage_SaysNetworkShared()
    {
        var stages = Silo.Run("stages", "--stages", "uts");
        Assert.Matches(@"shared with the host:.*network devices.*\(net\)", stages.Stdout);

        var trace = Silo.Run("--stages", "uts", "--trace", "--", "true");
        Assert.Equal(0, trace.ExitCode);
        Assert.Matches(@"host: shared with the host:.*network devices.*\(net\)", trace.Stderr);
    }

    [Fact(DisplayName = "net: with --net user the sandbox gets tap0 with 10.0.2.100/24 and a default route")]
    public void UserMode_HasTapAndRoute()
    {
        var result = Silo.Run(
            "--stages", "net", "--net", "user", "--", "sh", "-c", "ip -o -4 addr show tap0; ip route");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("tap0    inet 10.0.2.100/24", result.Stdout);
        Assert.Contains("default via 10.0.2.2 dev tap0", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact(DisplayName = "net: with --net user the host's 127.0.0.1 is still not reachable from inside")]
    public void UserMode_HostLoopbackRefused()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString();
        var result = Silo.Run("--stages", "net", "--net", "user", "--", Python, "-c", Probe, "tcp", port);
        Assert.Equal("refused\n", result.Stdout);
    }

    [Fact(DisplayName = "net: --net-host-loopback lets the sandbox reach the host's 127.0.0.1 as 10.0.2.2, and only then")]
    public void HostLoopbackOption_ReachesHostAsGateway()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString();
        string[] probe = ["--", Python, "-c", Probe, "tcp", port, "10.0.2.2"];

        var allowed = Silo.Run(["--stages", "net", "--net", "user", "--net-host-loopback", .. probe]);
        Assert.Equal("connected\n", allowed.Stdout);

        var refused = Silo.Run(["--stages", "net", "--net", "user", .. probe]);
        Assert.Equal(0, refused.ExitCode);
        Assert.Equal("unreachable\n", refused.Stdout);
    }

    [Fact(DisplayName =
        "net: a port published with -p is reachable from the host on 127.0.0.1, and no helper remains after")]
    public void Publish_ReachableFromHost_HelperGone()
    {
        string owner = PublishAndFetch(null, "net", guestPort: 8000);
        Assert.Equal("0", owner);
    }

    [Fact(DisplayName = "net: unprivileged, with the user stage, the sandbox has only lo, and it is up")]
    public void Unprivileged_WithUserStage_OnlyLoopback()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user,net", "--", "ip", "-o", "link");
        Assert.Equal(0, result.ExitCode);
        string line = Assert.Single(result.Stdout.TrimEnd().Split('\n'));
        Assert.StartsWith("1: lo: <LOOPBACK,UP", line);
    }

    [Fact(DisplayName = "net: unprivileged, without the user stage, the stage refuses with the way out (exit 125)")]
    public void Unprivileged_WithoutUserStage_Exits125()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "net", "--", "true");
        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("silo: net: create a network namespace:", line);
        Assert.EndsWith("run as root or enable the user stage", line);
    }

    [Fact(DisplayName =
        "net: unprivileged, --net user publishes a port reachable from the host on 127.0.0.1, and no helper remains")]
    public void Unprivileged_Publish_ReachableFromHost_HelperGone()
    {
        // The helper runs as the caller: it needs no privilege on the host.
        string owner = PublishAndFetch(Silo.Nobody, "user,net", guestPort: 80);
        Assert.Equal(Silo.Nobody.ToString(), owner);
    }

    [Fact(DisplayName = "net: the helper stops even when silo itself is killed with SIGKILL")]
    public void Helper_StopsWhenSiloKilled()
    {
        using var silo = StartSilo("--stages", "net", "--net", "user", "--", "sleep", "20");
        int helper = HelperOf(silo.Id);
        silo.Kill();
        silo.WaitForExit();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (IsHelper(helper) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }

        Assert.False(IsHelper(helper), $"slirp4netns (pid {helper}) outlived a killed silo");
    }

    [Fact(DisplayName = "net: a port already in use on the host is one clear line and exit 125, before anything runs")]
    public void Publish_PortInUse_Exits125()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var result = Silo.Run("--stages", "net", "--net", "user", "-p", $"{port}:80", "--", "true");
        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("silo: net: publish 127.0.0.1:" + port, line);
        Assert.Contains("(EADDRINUSE)", line);
    }

    [Theory(DisplayName = "net: a malformed -p is a usage error (exit 2)")]
    [InlineData("8080")]
    [InlineData("8080:80:90:100")]
    [InlineData("0:80")]
    [InlineData("8080:http")]
    [InlineData("8080:80/sctp")]
    [InlineData("localhost:8080:80")]
    public void Publish_Malformed_Exits2(string value)
    {
        var result = Silo.Run("--stages", "net", "--net", "user", "-p", value, "--", "true");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--publish", result.Stderr);
    }

    [Fact(DisplayName = "net: -p without --net user is a usage error (exit 2)")]
    public void Publish_WithoutUserMode_Exits2()
    {
        var result = Silo.Run("--stages", "net", "-p", "8080:80", "--", "true");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("add --net user", result.Stderr);
    }

    [Fact(DisplayName = "net: a missing helper is one line naming the Debian package, exit 125")]
    public void MissingHelper_NamesPackage()
    {
        string empty = Silo.SharedTempDirectory("silo-nopath-");
        var result = Silo.Host(
            "env", $"PATH={empty}", Silo.Binary, "--stages", "net", "--net", "user", "--", "/bin/true");
        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("silo: net: ", line);
        Assert.Contains("apt-get install slirp4netns", line);
    }

    [Fact(DisplayName =
        "net: a helper that dies at start is one line with its reason, exit 125, and nothing left running")]
    public void HelperDies_OneLine_Exits125()
    {
        string bin = Silo.SharedTempDirectory("silo-fakehelper-");
        string fake = Path.Combine(bin, "slirp4netns");
        File.WriteAllText(fake, "#!/bin/sh\necho 'fake helper: cannot open the tun device' >&2\nexit 3\n");
        File.SetUnixFileMode(fake, (UnixFileMode)Convert.ToInt32("755", 8));
        var result = Silo.Host(
            "env", $"PATH={bin}:/usr/bin:/bin", Silo.Binary, "--stages", "net", "--net", "user", "--", "/bin/true");
        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("silo: net: attach user-mode networking: slirp4netns exited with status 3", line);
        Assert.Contains("fake helper: cannot open the tun device", line);
    }

    [Theory(DisplayName =
        "net: a helper that dies while the sandbox runs is one line, exit 125, and the sandbox ends with it")]
    [InlineData("net")]
    [InlineData("pid,mount,net")]
    public void HelperDiesWhileRunning_OneLine_Exits125_NothingLeft(string stages)
    {
        // The fake helper says it is ready, waits until the target has started a child, then
        // dies. Every process of the run carries the marker in its command line: the fake
        // through its folder, the target and its child through an argument.
        string marker = Guid.NewGuid().ToString("N");
        string bin = Directory.CreateDirectory(
            Path.Combine(Silo.SharedTempDirectory("silo-fakehelper-"), marker)).FullName;
        string fake = Path.Combine(bin, "slirp4netns");
        File.WriteAllText(fake, $$"""
            #!/bin/sh
            for a in "$@"; do
                case "$a" in --ready-fd=*) ready="${a#--ready-fd=}" ;; esac
            done
            printf 1 > "/proc/self/fd/$ready"
            found=
            for i in $(seq 200); do
                grep -qs '[c]hild-{{marker}}' /proc/[0-9]*/cmdline && { found=1; break; }
                sleep 0.1
            done
            [ -n "$found" ] || { echo 'fake helper: the target never ran' >&2; exit 4; }
            echo 'fake helper: lost the tap device' >&2
            exit 3
            """);
        File.SetUnixFileMode(fake, (UnixFileMode)Convert.ToInt32("755", 8));
        const string parentAndChild = """
            import subprocess, sys, time
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "child-" + sys.argv[1]])
            time.sleep(120)
            """;

        var result = Silo.Host(
            "env", $"PATH={bin}:/usr/bin:/bin", Silo.Binary, "--stages", stages, "--net", "user", "--",
            Python, "-c", parentAndChild, marker);

        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith(
            "silo: net: keep user-mode networking: slirp4netns exited with status 3 while the sandbox ran " +
            "(slirp4netns said: fake helper: lost the tap device); silo ended the sandbox", line);
        Assert.EndsWith("without a network, use --net none", line);
        Assert.True(
            Poll.Until(() => SandboxProcesses.WithMarker(marker).Length == 0),
            $"processes of the run still run: {string.Join(", ", SandboxProcesses.WithMarker(marker))}");
    }

    [Fact(DisplayName =
        "net: a port the helper cannot publish is one line and exit 125, and the helper is stopped")]
    public void Publish_RefusedByHelper_Exits125_HelperGone()
    {
        // Both mappings pass the check before the clone, each on its own; the helper's second
        // add_hostfwd then finds the port taken by its first. Its environment marks the helper.
        int port = FreePort();
        string marker = $"SILO_TEST_RUN={Guid.NewGuid():N}";
        var result = Silo.Host(
            "env", marker, Silo.Binary, "--stages", "net", "--net", "user",
            "-p", $"{port}:80", "-p", $"{port}:81", "--", "/bin/true");

        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith($"silo: net: publish 127.0.0.1:{port} -> 81/tcp: slirp4netns add_hostfwd: ", line);
        Assert.EndsWith("choose another with -p", line);
        Assert.True(
            Poll.Until(() => SandboxProcesses.WithMarkerInEnvironment(marker).Length == 0),
            "a helper of the run still runs: " +
            string.Join(", ", SandboxProcesses.WithMarkerInEnvironment(marker)));
    }

    [Fact(DisplayName = "net: -p given twice publishes both ports, each reachable from the host on 127.0.0.1")]
    public void Publish_TwoPorts_EachReachable()
    {
        // One server inside answers on two ports, each with its own port number.
        const string servers = """
            import http.server, sys, threading
            class Answer(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    body = f"port {self.server.server_port} inside\n".encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
            servers = [http.server.ThreadingHTTPServer(("0.0.0.0", int(p)), Answer) for p in sys.argv[1:]]
            for s in servers[1:]:
                threading.Thread(target=s.serve_forever, daemon=True).start()
            servers[0].serve_forever()
            """;
        int first = FreePort();
        int second = FreePort();
        string marker = Guid.NewGuid().ToString("N");
        var start = Silo.StartInfo(null,
        [
            "--stages", "net", "--net", "user", "-p", $"{first}:8001", "-p", $"{second}:8002", "--",
            Python, "-c", servers, "8001", "8002",
        ]);
        start.Environment["SILO_TEST_RUN"] = marker;
        using var silo = Start(start);
        try
        {
            Assert.Equal("port 8001 inside\n", GetWhenUp($"http://127.0.0.1:{first}/"));
            Assert.Equal("port 8002 inside\n", GetWhenUp($"http://127.0.0.1:{second}/"));
            // The marker finds the helper while it runs, so its absence afterwards means something.
            Assert.Contains(HelperOf(silo.Id), SandboxProcesses.WithMarkerInEnvironment(marker));

            Silo.Host("kill", "-TERM", silo.Id.ToString());
            Assert.True(silo.WaitForExit(TimeSpan.FromSeconds(30)), "silo did not end after SIGTERM");
            Assert.True(
                Poll.Until(() => SandboxProcesses.WithMarkerInEnvironment(marker).Length == 0),
                "a process of the run outlived it");
        }
        finally
        {
            silo.Kill(entireProcessTree: true);
        }
    }

    [Fact(DisplayName = "net: a port published with -p listens on the host's 127.0.0.1 only, not on every address")]
    public void Publish_ListensOnHostLoopbackOnly()
    {
        int port = FreePort();
        using var silo = StartSilo(
            "--stages", "net", "--net", "user", "-p", $"{port}:80", "--", "sleep", "30");
        try
        {
            string[] listeners = [];
            Assert.True(
                Poll.Until(() => (listeners = ListenersOn(port)).Length > 0),
                $"nothing listens on the host's port {port}");
            Assert.Equal(["127.0.0.1"], listeners);

            Silo.Host("kill", "-TERM", silo.Id.ToString());
            Assert.True(silo.WaitForExit(TimeSpan.FromSeconds(30)), "silo did not end after SIGTERM");
        }
        finally
        {
            silo.Kill(entireProcessTree: true);
        }
    }

    [Fact(DisplayName =
        "net: the issue's example, unprivileged, user,mount,net -p HOSTPORT:80 -- python3 -m http.server 80")]
    public void IssueExample_UnprivilegedHttpServer_ReachableFromHost()
    {
        int port = FreePort();
        using var silo = StartSilo(
            Silo.Nobody, "--stages", "user,mount,net", "--net", "user", "-p", $"{port}:80", "--",
            "python3", "-m", "http.server", "80");
        try
        {
            int helper = HelperOf(silo.Id);
            Assert.Contains("<title>Directory listing for /</title>", GetWhenUp($"http://127.0.0.1:{port}/"));

            Silo.Host("kill", "-TERM", silo.Id.ToString());
            Assert.True(silo.WaitForExit(TimeSpan.FromSeconds(30)), "silo did not end after SIGTERM");
            Assert.Equal(128 + 15, silo.ExitCode);
            Assert.False(IsHelper(helper), $"slirp4netns (pid {helper}) still runs after the sandbox ended");
        }
        finally
        {
            silo.Kill(entireProcessTree: true);
        }
    }

    [Fact(DisplayName = "net: --net user prints nothing of its own on success")]
    public void UserMode_Success_Quiet()
    {
        var result = Silo.Run("--stages", "net", "--net", "user", "--", "true");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stdout + result.Stderr);
    }

    private static void AssertReachableOnlyWhenShared(string kind, string where)
    {
        // The probe works: sharing the host's network (no net stage), it reaches the socket.
        var shared = Silo.Run("--stages", "uts", "--", Python, "-c", Probe, kind, where);
        Assert.Equal("connected\n", shared.Stdout);

        var isolated = Silo.Run("--stages", "net", "--", Python, "-c", Probe, kind, where);
        Assert.Equal(0, isolated.ExitCode);
        Assert.Equal("refused\n", isolated.Stdout);
    }

    // Serves a file from inside with --net user -p, fetches it from the host, ends the sandbox
    // with SIGTERM, and checks that its helper is gone. Returns the uid the helper ran as.
    private static string PublishAndFetch(int? uid, string stages, int guestPort)
    {
        int port = FreePort();
        string root = Silo.SharedTempDirectory("silo-www-");
        File.WriteAllText(Path.Combine(root, "index.html"), "served from inside the sandbox\n");
        using var silo = StartSilo(
            uid, "--stages", stages, "--net", "user", "-p", $"{port}:{guestPort}", "--",
            Python, "-m", "http.server", guestPort.ToString(), "--bind", "0.0.0.0", "--directory", root);
        try
        {
            int helper = HelperOf(silo.Id);
            string owner = OwnerOf(helper);
            Assert.Equal("served from inside the sandbox\n", GetWhenUp($"http://127.0.0.1:{port}/index.html"));

            Silo.Host("kill", "-TERM", silo.Id.ToString());
            Assert.True(silo.WaitForExit(TimeSpan.FromSeconds(30)), "silo did not end after SIGTERM");
            Assert.Equal(128 + 15, silo.ExitCode);
            Assert.False(IsHelper(helper), $"slirp4netns (pid {helper}) still runs after the sandbox ended");
            return owner;
        }
        finally
        {
            silo.Kill(entireProcessTree: true);
        }
    }

    private static Process StartSilo(params string[] args) => StartSilo(null, args);

    // setpriv execs silo in place, so the process started here is silo itself, whose pid the
    // helper's parent pid names.
    private static Process StartSilo(int? uid, params string[] args) =>
        Start(Silo.StartInfo(uid, args));

    private static Process Start(ProcessStartInfo start)
    {
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    // The helper is silo's own child (setsid keeps the parent): found by its parent pid, so
    // that no other slirp4netns on the machine can be mistaken for it.
    private static int HelperOf(int siloPid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), out int pid) && IsHelper(pid) && ParentOf(pid) == siloPid)
                {
                    return pid;
                }
            }

            Thread.Sleep(100);
        }

        throw new TimeoutException($"silo (pid {siloPid}) started no slirp4netns");
    }

    private static bool IsHelper(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() == "slirp4netns" &&
                   !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string OwnerOf(int pid) =>
        File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:")).Split('\t')[1];

    private static int ParentOf(int pid)
    {
        try
        {
            return int.Parse(File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].Split(' ')[1]);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    // The addresses that listen on a TCP port of the host, from the host's /proc/net/tcp and
    // tcp6 (the test runs in the host's network namespace): "127.0.0.1", "0.0.0.0", "::" ...
    private static string[] ListenersOn(int port)
    {
        const string Listen = "0A";
        return
        [
            .. from file in (string[])["/proc/net/tcp", "/proc/net/tcp6"]
               from line in File.ReadLines(file).Skip(1)
               let fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
               let local = fields[1].Split(':')
               where fields[3] == Listen && Convert.ToInt32(local[1], 16) == port
               select Address(local[0]),
        ];
    }

    // /proc/net/tcp writes an address as the hex of its bytes in memory, word by word: 127.0.0.1
    // is 0100007F on a little-endian machine.
    private static string Address(string hex)
    {
        byte[] bytes = Convert.FromHexString(hex);
        for (int word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }

        return new IPAddress(bytes).ToString();
    }


    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    // The server inside needs a moment to start after silo has published the port; until then
    // the helper accepts and closes the connection.
    private static string GetWhenUp(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return http.GetStringAsync(url).GetAwaiter().GetResult();
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }
}
