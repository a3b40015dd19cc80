using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Silo.Tests.Integration;

/// <summary>
/// Escape attempts, each a small bash script that prints ESCAPED when it got out and "blocked"
/// otherwise. Every attempt runs twice: first where nothing isolates it (on the host, or in a
/// namespace the test made itself), where it must report ESCAPED, which proves it can detect an
/// escape; then inside silo with every stage on, as an unprivileged uid, where it must report
/// "blocked". Every attempt is harmless even when it succeeds: it only reads a sentinel the test
/// owns, signals a sleep the test started, connects to listeners the test opened on loopback, or
/// writes a value back that it just read.
/// </summary>
[Trait("Stage", "escape")]
public sealed class EscapeSuite : IDisposable
{
    private readonly string _dir;
    private readonly string _sentinel;
    private readonly string _secret = $"silo-secret-{Guid.NewGuid():N}";
    private readonly List<Process> _started = [];

    public EscapeSuite()
    {
        // The sentinel belongs to the unprivileged uid the sandbox runs as, so that an escape would
        // show instead of being hidden by permissions.
        _dir = Silo.SharedTempDirectory("silo-escape-");
        _sentinel = Path.Combine(_dir, "sentinel");
        File.WriteAllText(_sentinel, _secret + "\n");
        Chown(_dir);
        Chown(_sentinel);
        File.SetUnixFileMode(_sentinel, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private string ReadsSentinel(string paths) =>
        $"for p in {paths}; do [ -f \"$p\" ] && cat \"$p\" 2>/dev/null; done | grep -q {_secret} && echo ESCAPED || echo blocked";

    [Fact(DisplayName = "escape: a host file cannot be reached by its path")]
    public void HostFile_ByPath() =>
        Prove(ReadsSentinel(_sentinel), Baseline.HostAsNobody);

    [Fact(DisplayName = "escape: a host file cannot be reached through /proc/PID/root of a host process")]
    public void HostFile_ThroughProcRoot()
    {
        StartAsNobody("sleep", "600");
        Prove(ReadsSentinel($"/proc/[0-9]*/root{_sentinel}"), Baseline.HostAsNobody);
    }

    [Fact(DisplayName = "escape: the host's working directory does not leak in through /proc/self/cwd")]
    public void HostFile_ThroughCwd() =>
        Prove(ReadsSentinel("/proc/self/cwd/sentinel ./sentinel"), Baseline.HostAsNobody, workingDirectory: _dir);

    [Fact(DisplayName = "escape: a descriptor open on the host does not leak in (the class of CVE-2024-21626)")]
    public void HostFile_ThroughInheritedDescriptor() =>
        Prove(ReadsSentinel("/proc/self/fd/*/sentinel /proc/self/fd/*"), Baseline.HostAsNobody, prelude: $"exec 7<{_dir} 8<{_sentinel}");

    [Fact(DisplayName = "escape: a host process cannot be seen")]
    public void HostProcess_Seen()
    {
        string marker = Guid.NewGuid().ToString("N");
        StartAsNobody("bash", "-c", $"exec -a silo-marker-{marker} sleep 600");
        // The marker is put together at run time, so the script's own command line never matches.
        // Each command line is read with a shell builtin, so no process of the probe carries the
        // whole marker in its own command line.
        Prove(
            $"m=silo-marker-; m=${{m}}{marker}; hit=blocked; for f in /proc/[0-9]*/cmdline; do " +
            "c=$(tr '\\0' ' ' < $f 2>/dev/null); case \"$c\" in *\"$m\"*) hit=ESCAPED;; esac; done; echo $hit",
            Baseline.HostAsNobody);
    }

    [Fact(DisplayName = "escape: a host process cannot be signalled")]
    public void HostProcess_Signalled()
    {
        static string Script(int pid) => $"kill -USR1 {pid} 2>/dev/null; sleep 0.3; echo done";
        Process victim = StartAsNobody("sleep", "600");
        var baseline = Run(Baseline.HostAsNobody, Script(victim.Id));
        Assert.True(victim.WaitForExit(5000), $"the baseline could not signal the host process: {baseline}");

        victim = StartAsNobody("sleep", "600");
        var inside = RunInside(Script(victim.Id));
        Assert.Equal("done\n", inside.Stdout);
        Assert.False(victim.HasExited, "the signal from inside reached a host process");
    }

    [Fact(DisplayName = "escape: a listener on the host's loopback cannot be reached")]
    public void HostLoopbackListener()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Prove($"(echo > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && echo ESCAPED || echo blocked", Baseline.HostAsNobody);
    }

    [Fact(DisplayName = "escape: an abstract unix socket bound on the host cannot be reached")]
    public void HostAbstractSocket()
    {
        string name = $"silo-escape-{Guid.NewGuid():N}";
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        socket.Listen();
        Prove(
            $"/usr/bin/python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('\\0{name}')\" 2>/dev/null && echo ESCAPED || echo blocked",
            Baseline.HostAsNobody);
    }

    [Fact(DisplayName = "escape: a hostname set inside does not change the host's")]
    public void Hostname_DoesNotLeak()
    {
        string name = $"escaped-{Guid.NewGuid().ToString("N")[..8]}";
        string script = $"hostname {name} 2>/dev/null; true";

        // Baseline: the script and the observer share a UTS namespace the test made itself.
        var baseline = Silo.Host("unshare", "--uts", "bash", "-c", $"{script}; hostname");
        Assert.Equal(name, baseline.Stdout.Trim());

        string before = Silo.Host("hostname").Stdout.Trim();
        RunInside(script);
        Assert.Equal(before, Silo.Host("hostname").Stdout.Trim());
    }

    [Fact(DisplayName = "escape: /proc/sys cannot be written")]
    public void ProcSys_Write() =>
        Prove("f=/proc/sys/kernel/printk_ratelimit; v=$(cat $f) && (echo \"$v\" > $f) 2>/dev/null && echo ESCAPED || echo blocked", Baseline.HostAsRoot);

    [Fact(DisplayName = "escape: /sys cannot be written")]
    public void Sys_Write() =>
        Prove("f=/sys/kernel/rcu_expedited; v=$(cat $f) && (echo \"$v\" > $f) 2>/dev/null && echo ESCAPED || echo blocked", Baseline.HostAsRoot);

    [Fact(DisplayName = "escape: mounting a proc file system does not expose host paths")]
    public void Mount_ExposesHostPaths()
    {
        StartAsNobody("sleep", "600");
        string mountPoint = Silo.SharedTempDirectory("silo-escape-proc-");
        Prove(
            $"mount -t proc proc {mountPoint} 2>/dev/null; {ReadsSentinel($"{mountPoint}/[0-9]*/root{_sentinel}")}; umount {mountPoint} 2>/dev/null; true",
            Baseline.HostAsRoot);
    }

    [Fact(DisplayName = "escape: a chroot-style climb out of a chroot does not reach the host")]
    public void Chroot_Climb() =>
        Prove(
            "/usr/bin/python3 -c \"import os\nos.makedirs('/tmp/jail', exist_ok=True)\nos.chroot('/tmp/jail')\n" +
            $"for i in range(64): os.chdir('..')\nos.chroot('.')\nprint(open('{_sentinel}').read())\" 2>/dev/null | grep -q {_secret} && echo ESCAPED || echo blocked",
            Baseline.HostAsRoot);

    [Fact(DisplayName = "escape: capabilities over the host cannot be regained, also through a nested user namespace")]
    public void Capabilities_Regained()
    {
        string rootOnly = Path.Combine(Silo.SharedTempDirectory("silo-escape-root-"), "root-only");
        File.WriteAllText(rootOnly, _secret + "\n");
        File.SetUnixFileMode(rootOnly, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Prove($"{{ cat {rootOnly}; unshare -Ur cat {rootOnly}; unshare -U cat {rootOnly}; }} 2>/dev/null | grep -q {_secret} && echo ESCAPED || echo blocked", Baseline.HostAsRoot);
    }

    [Fact(DisplayName = "escape: silo's own binary cannot be opened for writing through /proc/PID/exe (the class of CVE-2019-5736)")]
    public void SiloBinary_OpenForWrite()
    {
        // Takes a handle on every executable whose name says silo, through /proc/PID/exe, as the
        // attack does, and counts it when the file behind could be changed: writable by us and
        // not a sealed memory copy. It never writes (and a running binary refuses a write-open
        // with ETXTBSY anyway; the attack writes after the process has gone).
        const string script = """
            /usr/bin/python3 -c "
            import os, glob, fcntl
            hit = False
            for exe in glob.glob('/proc/[0-9]*/exe'):
                try:
                    if 'silo' not in os.readlink(exe): continue
                    fd = os.open(exe, os.O_RDONLY)
                except OSError:
                    continue
                try:
                    sealed = fcntl.fcntl(fd, 1034) & 8
                except OSError:
                    sealed = 0
                hit = hit or (os.access('/proc/self/fd/%d' % fd, os.W_OK) and not sealed)
                os.close(fd)
            print('ESCAPED' if hit else 'blocked')
            "
            """;
        using var running = Process.Start(Silo.Binary, ["--stages", "uts", "--", "sleep", "30"]);
        _started.Add(running);
        Thread.Sleep(500);
        var baseline = Run(Baseline.HostAsRoot, script);
        Assert.Equal("ESCAPED\n", baseline.Stdout);
        var inside = RunInside(script);
        Assert.Equal("blocked\n", inside.Stdout);
    }

    [Fact(DisplayName = "escape: a host process cannot be traced with ptrace")]
    public void HostProcess_Ptraced()
    {
        Process victim = StartAsNobody("sleep", "600");
        Prove(
            "/usr/bin/python3 -c \"import ctypes; l=ctypes.CDLL(None, use_errno=True); " +
            $"r=l.ptrace(0x4206, {victim.Id}, 0, 0); print('ESCAPED' if r == 0 else 'blocked'); r == 0 and l.ptrace(17, {victim.Id}, 0, 0)\"",
            Baseline.HostAsNobody);
    }

    [Fact(DisplayName = "escape: no host block device is reachable under /dev")]
    public void BlockDevices() =>
        Prove("find /dev -type b 2>/dev/null | grep -q . && echo ESCAPED || echo blocked", Baseline.HostAsNobody);

    [Fact(DisplayName = "escape: the host kernel log cannot be read")]
    public void KernelLog() =>
        Prove("{ dmesg 2>/dev/null | head -c 1 | grep -q . || dd if=/dev/kmsg bs=4096 count=1 iflag=nonblock 2>/dev/null | grep -q .; } && echo ESCAPED || echo blocked",
            Baseline.HostAsRoot);

    public void Dispose()
    {
        foreach (Process p in _started)
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private enum Baseline
    {
        /// <summary>The script runs on the host as the same unprivileged uid.</summary>
        HostAsNobody,

        /// <summary>The script runs on the host as root (attempts that need privilege to show).</summary>
        HostAsRoot,
    }

    private void Prove(string script, Baseline baseline, string? workingDirectory = null, string? prelude = null)
    {
        var outside = Run(baseline, script, workingDirectory, prelude);
        Assert.True(outside.Stdout == "ESCAPED\n", $"the attempt cannot detect an escape: without isolation it printed {outside}");
        var inside = RunInside(script, workingDirectory, prelude);
        Assert.True(inside.Stdout == "blocked\n", $"inside silo the attempt printed {inside}");
    }

    private static SiloResult Run(Baseline baseline, string script, string? workingDirectory = null, string? prelude = null)
    {
        string wrapped = $"{prelude ?? "true"}; bash -c \"$0\"";
        return baseline == Baseline.HostAsRoot
            ? Silo.Host("bash", "-c", $"cd {workingDirectory ?? "/tmp"}; {wrapped}", script)
            : Silo.Host("setpriv", $"--reuid={Silo.Nobody}", $"--regid={Silo.Nobody}", "--clear-groups", "bash", "-c",
                $"cd {workingDirectory ?? "/tmp"}; {wrapped}", script);
    }

    // All stages on, as the unprivileged uid, through a bash that may open descriptors first.
    private static SiloResult RunInside(string script, string? workingDirectory = null, string? prelude = null) =>
        Silo.Host("setpriv", $"--reuid={Silo.Nobody}", $"--regid={Silo.Nobody}", "--clear-groups", "bash", "-c",
            $"cd {workingDirectory ?? "/tmp"}; {prelude ?? "true"}; exec \"$0\" --stages all -- bash -c \"$1\"", Silo.Binary, script);

    private Process StartAsNobody(params string[] command)
    {
        var p = Process.Start("setpriv", [$"--reuid={Silo.Nobody}", $"--regid={Silo.Nobody}", "--clear-groups", .. command]);
        _started.Add(p);
        Thread.Sleep(100);
        return p;
    }

    private static void Chown(string path) => Silo.Host("chown", $"{Silo.Nobody}:{Silo.Nobody}", path);
}
