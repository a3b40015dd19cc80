using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Silo.Tests.Integration;

/// <summary>
/// Escape attempts, each a small bash script that prints ESCAPED when it got out and "blocked"
/// otherwise. Every run is as the unprivileged uid, never as root. An attempt first runs, as the
/// very same script, in a control setting the test makes itself where the isolation it tests is
/// off: on the host, in namespaces of the test's own (unshare), or in silo with the stage or the
/// option that stops it turned off. There it must print ESCAPED, which proves it can detect an
/// escape and that plain permissions do not stop it. Then it runs inside silo with every stage
/// on, and where one layer could hide another, also with that layer loosened, and must print
/// "blocked" each time. Every run is harmless even when it gets out: it only reads a sentinel
/// the test owns, signals or traces a sleep the test started, connects to listeners the test
/// opened on loopback, writes back a value it just read in a namespace of the test's or silo's
/// own, mounts in a mount namespace of its own, and opens binaries for writing without writing.
/// </summary>
[Trait("Stage", "escape")]
public sealed class EscapeSuite : IDisposable
{
    // A namespaced tunable, written back with the value just read: it lives in the network
    // namespace of the writer (silo's or the control's own), never in the host's.
    private const string WritesNetSysctl =
        "f=/proc/sys/net/ipv4/ip_forward; v=$(cat $f) && (echo \"$v\" > $f) 2>/dev/null";

    // Opens, for writing, the binary of every process that may be silo's: PID 1, each ancestor
    // of the script (silo-init is one, with or without a PID namespace), and each whose
    // executable's name says silo. Open only: O_WRONLY, closed at once, not a byte written.
    // ETXTBSY does not count as blocked: it only says the binary runs right now, which it would
    // also without silo's protection, and CVE-2019-5736 writes after it stopped; only a write
    // seal (a sealed memory file) keeps it closed then. An open that works counts unless the
    // file is sealed against writes.
    private const string OpensSiloBinariesForWriting = """
        /usr/bin/python3 - <<'PY'
        import errno, fcntl, os, sys
        F_GET_SEALS, F_SEAL_WRITE = 1034, 8

        def parent(pid):
            try:
                with open('/proc/%d/status' % pid) as status:
                    return int(next(l for l in status if l.startswith('PPid:')).split()[1])
            except (OSError, StopIteration):
                return 0

        def names_silo(pid):
            try:
                return 'silo' in os.readlink('/proc/%s/exe' % pid)
            except OSError:
                return False

        def sealed(fd):
            try:
                return fcntl.fcntl(fd, F_GET_SEALS) & F_SEAL_WRITE != 0
            except OSError:
                return False

        def writable(exe):
            try:
                fd = os.open(exe, os.O_WRONLY)
            except OSError as e:
                if e.errno != errno.ETXTBSY:
                    print(exe, errno.errorcode[e.errno], file=sys.stderr)
                    return False
                try:
                    fd = os.open(exe, os.O_RDONLY)
                except OSError:
                    print(exe, 'ETXTBSY, seals unknown', file=sys.stderr)
                    return True
            try:
                closed = sealed(fd)
            finally:
                os.close(fd)
            print(exe, 'sealed against writes' if closed else 'can be written', file=sys.stderr)
            return not closed

        pids, pid = {1}, parent(os.getpid())
        while pid > 0:
            pids.add(pid)
            pid = parent(pid)
        pids |= {int(p) for p in os.listdir('/proc') if p.isdigit() and names_silo(p)}
        hits = [p for p in sorted(pids) if writable('/proc/%d/exe' % p)]
        print('ESCAPED' if hits else 'blocked')
        PY
        """;

    private readonly string _dir;
    private readonly string _sentinel;
    private readonly string _secret = $"silo-secret-{Guid.NewGuid():N}";
    private readonly List<Process> _started = [];

    public EscapeSuite()
    {
        // The sentinel belongs to the unprivileged uid every run uses, so that an escape would
        // show instead of being hidden by permissions.
        _dir = Silo.SharedTempDirectory("silo-escape-");
        _sentinel = Path.Combine(_dir, "sentinel");
        File.WriteAllText(_sentinel, _secret + "\n");
        Chown(_dir);
        Chown(_sentinel);
        File.SetUnixFileMode(_sentinel, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static Setting AllStages => Setting.InSilo("--stages", "all");

    private string ReadsSentinel(string paths) =>
        $"for p in {paths}; do [ -f \"$p\" ] && cat \"$p\" 2>/dev/null; done | grep -q {_secret} " +
        "&& echo ESCAPED || echo blocked";

    [Fact(DisplayName = "escape: a host file cannot be reached by its path")]
    public void HostFile_ByPath() => Prove(ReadsSentinel(_sentinel), [Setting.Host]);

    [Fact(DisplayName =
        "escape: a host file cannot be reached through /proc/PID/root of a host process")]
    public void HostFile_ThroughProcRoot()
    {
        StartAsNobody("sleep", "600");
        Prove(ReadsSentinel($"/proc/[0-9]*/root{_sentinel}"), [Setting.Host]);
    }

    [Fact(DisplayName =
        "escape: the host's working directory does not leak in through /proc/self/cwd")]
    public void HostFile_ThroughCwd() =>
        Prove(
            ReadsSentinel("/proc/self/cwd/sentinel ./sentinel"), [Setting.Host],
            workingDirectory: _dir);

    [Fact(DisplayName =
        "escape: a descriptor open on the host does not leak in (the class of CVE-2024-21626)")]
    public void HostFile_ThroughInheritedDescriptor() =>
        Prove(
            ReadsSentinel("/proc/self/fd/*/sentinel /proc/self/fd/*"), [Setting.Host],
            prelude: $"exec 7<{_dir} 8<{_sentinel}");

    [Fact(DisplayName =
        "escape: --workdir /proc/self/fd/N is refused, not a way to a host directory (the class of CVE-2024-21626)")]
    public void HostFile_ThroughWorkdirDescriptor()
    {
        // runc's CVE-2024-21626: its init still held a descriptor of a host directory, and a
        // working directory of /proc/self/fd/N put the container's process there. Here every
        // descriptor from 3 to 9 is open on the sentinel's folder when silo starts.
        int[] descriptors = [.. Enumerable.Range(3, 7)];
        string prelude = "exec " + string.Join(' ', descriptors.Select(n => $"{n}<{_dir}"));
        string script = ReadsSentinel("./sentinel");

        // The control: a process that holds such a descriptor and changes into it is on the host.
        var control = Run(Setting.Host, script, "/proc/self/fd/7", prelude);
        Assert.True(
            control.Stdout == "ESCAPED\n", $"the attempt cannot detect an escape: {control}");

        foreach (int n in descriptors)
        {
            string workdir = $"/proc/self/fd/{n}";
            var inside = Run(
                Setting.InSilo("--stages", "all", "--workdir", workdir), script, null, prelude);
            string refusal = $"working directory: chdir {workdir}: ";
            Assert.True(
                inside.ExitCode == 125 && inside.Stdout == "" &&
                inside.Stderr.Contains(refusal, StringComparison.Ordinal),
                $"--workdir {workdir} was not refused clearly (exit 125, '{refusal}...'): {inside}");
        }
    }

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
            "c=$(tr '\\0' ' ' < $f 2>/dev/null); case \"$c\" in *\"$m\"*) hit=ESCAPED;; esac; " +
            "done; echo $hit",
            [Setting.Host]);
    }

    [Fact(DisplayName = "escape: a host process cannot be signalled")]
    public void HostProcess_Signalled()
    {
        static string Script(int pid) => $"kill -USR1 {pid} 2>/dev/null; sleep 0.3; echo done";
        Process victim = StartAsNobody("sleep", "600");
        var control = Run(Setting.Host, Script(victim.Id));
        Assert.True(
            victim.WaitForExit(5000), $"the control could not signal the host process: {control}");

        victim = StartAsNobody("sleep", "600");
        var inside = Run(AllStages, Script(victim.Id));
        Assert.Equal("done\n", inside.Stdout);
        Assert.False(victim.HasExited, "the signal from inside reached a host process");
    }

    [Fact(DisplayName = "escape: a listener on the host's loopback cannot be reached")]
    public void HostLoopbackListener()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Prove(
            $"(echo > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && echo ESCAPED || echo blocked",
            [Setting.Host]);
    }

    [Fact(DisplayName = "escape: an abstract unix socket bound on the host cannot be reached")]
    public void HostAbstractSocket()
    {
        string name = $"silo-escape-{Guid.NewGuid():N}";
        using var socket = new Socket(
            AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        socket.Listen();
        Prove(
            "/usr/bin/python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); " +
            $"s.connect('\\0{name}')\" 2>/dev/null && echo ESCAPED || echo blocked",
            [Setting.Host]);
    }

    [Fact(DisplayName = "escape: a hostname set inside does not change the host's")]
    public void Hostname_DoesNotLeak()
    {
        string name = $"escaped-{Guid.NewGuid().ToString("N")[..8]}";
        string script = $"hostname {name} 2>/dev/null; true";
        // The script, then hostname(1) in the same namespaces, as an observer.
        string[] thenHostname = ["bash", "-c", "\"$@\"; hostname", "observe"];

        // The control: a UTS namespace the test makes stands for the host, and the script runs
        // in it with nothing in between; the name it sets is what that "host" then shows.
        var control = Run(
            Setting.Unshare("-Ur", "--uts").Then("then hostname", thenHostname), script);
        Assert.True(
            control.Stdout == name + "\n", $"the attempt cannot change a hostname: {control}");

        // Inside, the default set has no CAP_SYS_ADMIN, so sethostname fails before the UTS stage
        // is put to the test; with it added, the name changes inside and still not on the host.
        string before = Silo.Host("hostname").Stdout.Trim();
        var inside = Run(AllStages, script);
        Assert.Equal(0, inside.ExitCode);
        var withCap = Run(Setting.InSilo("--stages", "all", "--cap-add", "SYS_ADMIN")
            .Then("then hostname", thenHostname), script);
        Assert.True(
            withCap.Stdout == name + "\n",
            $"with CAP_SYS_ADMIN the name did not change inside: {withCap}");
        Assert.Equal(before, Silo.Host("hostname").Stdout.Trim());
    }

    [Fact(DisplayName = "escape: /proc/sys cannot be written")]
    public void ProcSys_Write() =>
        // The control is silo without its mount stage (no read-only /proc/sys) and with
        // CAP_NET_ADMIN, which the tunable also asks for; inside, the read-only mount must hold
        // even with that capability added.
        Prove(
            $"{WritesNetSysctl} && echo ESCAPED || echo blocked",
            [Setting.InSilo("--stages", "all,-mount", "--cap-add", "NET_ADMIN")],
            [AllStages, Setting.InSilo("--stages", "all", "--cap-add", "NET_ADMIN")]);

    [Fact(DisplayName = "escape: /sys cannot be written")]
    public void Sys_Write() =>
        // silo's /sys is a read-only sysfs of its network namespace. The control mounts a
        // writable one in a user, network and mount namespace of the test's own (the network
        // namespace made after the user namespace has its map, so that its root owns lo).
        Prove(
            "f=/sys/class/net/lo/mtu; v=$(cat $f) && (echo \"$v\" > $f) 2>/dev/null " +
            "&& echo ESCAPED || echo blocked",
            [
                Setting.Unshare("-Ur", "unshare", "-nm").Then(
                    "with a writable sysfs",
                    "bash", "-c", "mount -t sysfs sysfs /sys && exec \"$@\"", "sysfs"),
            ],
            [AllStages, Setting.InSilo("--stages", "all", "--cap-add", "NET_ADMIN")]);

    [Fact(DisplayName = "escape: remounting /proc/sys read-write does not work")]
    public void ProcSys_Remount() =>
        // Counts only when the remount itself succeeds and /proc/sys then takes a write. Two
        // layers refuse it, each on its own: the seccomp filter (mount) and the capability set
        // (no CAP_SYS_ADMIN); the control turns both off.
        Prove(
            "{ mount -o remount,rw /proc/sys || mount -o remount,bind,rw /proc/sys; } 2>/dev/null " +
            $"&& {WritesNetSysctl} && echo ESCAPED || echo blocked",
            [Setting.InSilo("--stages", "all,-seccomp", "--cap-add", "SYS_ADMIN,NET_ADMIN")],
            [
                AllStages,
                Setting.InSilo("--stages", "all", "--cap-add", "SYS_ADMIN,NET_ADMIN"),
                Setting.InSilo("--stages", "all,-seccomp", "--cap-add", "NET_ADMIN"),
            ]);

    [Fact(DisplayName =
        "escape: mounting a proc file system or binding /proc does not expose host paths")]
    public void Mount_ExposesHostPaths()
    {
        // A new proc (or /proc bound elsewhere) shows processes whose root is reachable through
        // /proc/PID/root. The control has a mount and a PID namespace of the test's own but the
        // host's root, so its own processes lead to the host's files. Inside, mounting is refused;
        // with it allowed, every process still has silo's new root.
        string mountPoint = Path.Combine(_dir, "mnt");
        Prove(
            $"mkdir -p {mountPoint}; " +
            $"{{ mount -t proc proc {mountPoint} || mount --rbind /proc {mountPoint}; }} 2>/dev/null; " +
            $"{ReadsSentinel($"{mountPoint}/[0-9]*/root{_sentinel}")}; " +
            $"umount -l {mountPoint} 2>/dev/null; true",
            [Setting.Unshare("-Urm", "--pid", "--fork")],
            [AllStages, Setting.InSilo("--stages", "all,-seccomp", "--cap-add", "SYS_ADMIN")]);
    }

    [Fact(DisplayName = "escape: a chroot-style climb out of a chroot does not reach the host")]
    public void Chroot_Climb()
    {
        // The classic climb: chroot into a folder while the working directory stays outside,
        // walk up from there, and chroot to where the walk ended. CAP_SYS_CHROOT is in the
        // default set, so inside the climb works and must end at silo's root; the control is
        // silo without its mount stage, whose root is the host's.
        string jail = Path.Combine(_dir, "jail");
        Prove(
            $"/usr/bin/python3 -c \"import os\nos.makedirs('{jail}', exist_ok=True)\n" +
            $"os.chroot('{jail}')\nfor i in range(64): os.chdir('..')\nos.chroot('.')\n" +
            $"print(open('{_sentinel}').read())\" 2>/dev/null | grep -q {_secret} " +
            "&& echo ESCAPED || echo blocked",
            [Setting.InSilo("--stages", "all,-mount")]);
    }

    [Fact(DisplayName =
        "escape: capabilities silo dropped cannot be regained, also not through a nested user namespace")]
    public void Capabilities_Regained() =>
        // CAP_SYS_ADMIN, the widest of the capabilities the default set leaves out, held by the
        // script itself or regained in a nested user namespace (mapped or not). Each control
        // turns off one of the two things in the way: the capability set, or the seccomp
        // filter's refusal of nested user namespaces.
        Prove(
            "c='e=$(sed -n \"s/^CapEff:\\s*//p\" /proc/self/status); " +
            "[ $(( 0x$e >> 21 & 1 )) = 1 ]'; " +
            "{ bash -c \"$c\" || unshare -Ur bash -c \"$c\" || unshare -U bash -c \"$c\"; } " +
            "2>/dev/null && echo ESCAPED || echo blocked",
            [
                Setting.InSilo("--stages", "all,-caps"),
                Setting.InSilo("--stages", "all", "--allow-userns"),
            ]);

    [Fact(DisplayName =
        "escape: silo's own binary cannot be opened for writing through /proc/PID/exe (the class of CVE-2019-5736)")]
    public void SiloBinary_OpenForWrite()
    {
        // Every run here uses a copy of silo that the unprivileged uid owns, so that what keeps
        // the binaries closed is silo's isolation, not the copy belonging to root.
        string copy = Path.Combine(_dir, "silo");
        string installed = Path.GetDirectoryName(Silo.Binary)!;
        Assert.Equal(0, Silo.Host("cp", "-a", installed + "/.", copy).ExitCode);
        Assert.Equal(0, Silo.Host("chown", "-R", $"{Silo.Nobody}:{Silo.Nobody}", copy).ExitCode);
        string binary = Path.Combine(copy, "silo");

        // The control: on the host, a running silo of that copy is in reach, and its binary may
        // be written once it stops running. Inside, silo-init (PID 1) is the only process of
        // silo's; with CAP_SYS_PTRACE added, its /proc/1/exe can be followed, to a sealed copy.
        Process running = StartAsNobody(binary, "--stages", "all", "--", "sleep", "60");
        WaitForExe(running, binary);
        Prove(
            OpensSiloBinariesForWriting,
            [Setting.Host],
            [
                Setting.InSiloAt(binary, "--stages", "all"),
                Setting.InSiloAt(binary, "--stages", "all", "--cap-add", "SYS_PTRACE"),
            ]);
    }

    [Fact(DisplayName = "escape: a host process cannot be traced with ptrace")]
    public void HostProcess_Ptraced()
    {
        Process victim = StartAsNobody("sleep", "600");
        Prove(
            "/usr/bin/python3 -c \"import ctypes; l=ctypes.CDLL(None, use_errno=True); " +
            $"r=l.ptrace(0x4206, {victim.Id}, 0, 0); print('ESCAPED' if r == 0 else 'blocked'); " +
            $"r == 0 and l.ptrace(17, {victim.Id}, 0, 0)\"",
            [Setting.Host]);
    }

    [Fact(DisplayName = "escape: no host block device is reachable under /dev")]
    public void BlockDevices() =>
        Prove(
            "find /dev -type b 2>/dev/null | grep -q . && echo ESCAPED || echo blocked",
            [Setting.Host]);

    [Fact(DisplayName = "escape: the host kernel log cannot be read, and its device is not inside")]
    public void KernelLog() =>
        // With dmesg_restrict=1 (as on the test machines) the kernel keeps the log from any uid
        // without CAP_SYSLOG over the host, silo or not. So the attempt also counts the way in as
        // getting out: a character device 1:11 (/dev/kmsg under any name), which reads the log
        // where dmesg_restrict is 0. The control is silo without its mount stage (the host's /dev).
        Prove(
            "{ dmesg 2>/dev/null | head -c 1 | grep -q . || " +
            "dd if=/dev/kmsg bs=4096 count=1 iflag=nonblock 2>/dev/null | head -c 1 | grep -q . || " +
            "find /dev -type c -exec stat -c %t:%T {} + 2>/dev/null | grep -qx 1:b; } " +
            "&& echo ESCAPED || echo blocked",
            [Setting.InSilo("--stages", "all,-mount")]);

    public void Dispose()
    {
        foreach (Process p in _started)
        {
            try
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private static void Prove(
        string script, Setting[] controls, Setting[]? inside = null,
        string? workingDirectory = null, string? prelude = null)
    {
        foreach (Setting control in controls)
        {
            var result = Run(control, script, workingDirectory, prelude);
            Assert.True(
                result.Stdout == "ESCAPED\n",
                $"the attempt cannot detect an escape: {control.Name}, without the isolation " +
                $"it tests, it printed {result}");
        }

        foreach (Setting setting in inside ?? [AllStages])
        {
            var result = Run(setting, script, workingDirectory, prelude);
            Assert.True(
                result.Stdout == "blocked\n", $"{setting.Name} the attempt printed {result}");
        }
    }

    // Always as the unprivileged uid: a bash that may open descriptors and changes directory,
    // then the setting's command, then the script.
    private static SiloResult Run(
        Setting setting, string script, string? workingDirectory = null, string? prelude = null) =>
        Silo.Host(
            "setpriv",
            [
                $"--reuid={Silo.Nobody}", $"--regid={Silo.Nobody}", "--clear-groups", "bash", "-c",
                $"{prelude ?? "true"}; cd {workingDirectory ?? "/tmp"} && exec \"$@\"", "attempt",
                .. setting.Prefix, "bash", "-c", script,
            ]);

    private Process StartAsNobody(params string[] command)
    {
        var p = Process.Start(
            "setpriv",
            [$"--reuid={Silo.Nobody}", $"--regid={Silo.Nobody}", "--clear-groups", .. command]);
        _started.Add(p);
        Thread.Sleep(100);
        return p;
    }

    // setpriv execs the program in place: wait until the process runs it.
    private static void WaitForExe(Process process, string binary)
    {
        var clock = Stopwatch.StartNew();
        while (File.ResolveLinkTarget($"/proc/{process.Id}/exe", false)?.FullName != binary)
        {
            Assert.True(
                clock.Elapsed < TimeSpan.FromSeconds(10),
                $"{binary} did not start as pid {process.Id}");
            Thread.Sleep(50);
        }
    }

    private static void Chown(string path) =>
        Silo.Host("chown", $"{Silo.Nobody}:{Silo.Nobody}", path);

    /// <summary>
    /// Where one run of an attempt's script happens: the command the script (bash -c) is handed
    /// to, run as the unprivileged uid.
    /// </summary>
    private sealed record Setting(string Name, string[] Prefix)
    {
        public static Setting Host { get; } = new("on the host", []);

        /// <summary>In namespaces the test makes itself with unshare(1).</summary>
        public static Setting Unshare(params string[] options) =>
            new($"in unshare {string.Join(' ', options)}", ["unshare", .. options]);

        public static Setting InSilo(params string[] options) => InSiloAt(Silo.Binary, options);

        public static Setting InSiloAt(string binary, params string[] options) =>
            new($"in silo {string.Join(' ', options)}", [binary, .. options, "--"]);

        /// <summary>The same setting, with the script handed to this command there.</summary>
        public Setting Then(string what, params string[] command) =>
            new($"{Name}, {what}", [.. Prefix, .. command]);
    }
}
