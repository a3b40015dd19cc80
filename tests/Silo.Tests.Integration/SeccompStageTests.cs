namespace Silo.Tests.Integration;

/// <summary>The seccomp stage's milestone: the default profile, Docker-format profiles, unconfined.</summary>
[Trait("Stage", "seccomp")]
public sealed class SeccompStageTests
{
    // Makes each call straight through syscall(2) (x86-64 numbers) and prints its errno name, so
    // that no tool's own checks stand between the call and the filter. clone(2) called raw with
    // no stack goes on like fork in the child, which runs its part and leaves at once.
    private const string Calls = """
        import ctypes, errno, os, threading
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        def report(name, result):
            print(name, "ok" if result >= 0 else errno.errorcode[ctypes.get_errno()])
        def call(name, number, *args):
            report(name, libc.syscall(number, *[ctypes.c_long(a) if isinstance(a, int) else a for a in args]))
        def clone(flags, child=lambda: None):
            pid = libc.syscall(56, ctypes.c_long(flags | 17), 0, 0, 0, 0)
            if pid == 0:
                child()
                os._exit(0)
            return pid
        def clone_and_wait(name, flags):
            pid = clone(flags)
            report(name, pid)
            if pid > 0:
                os.waitpid(pid, 0)
        """;

    // mount on a path that does not exist fails with ENOENT when the kernel sees it (the path is
    // looked up before any permission check), and with EPERM when the filter stops it first.
    private const string Probe = Calls + "\n" + """
        call("keyctl", 250, 0, -3, 0)
        call("mount", 165, b"none", b"/nonexistent-silo-probe", b"tmpfs", 0, 0)
        call("unshare", 272, 0x10000000)
        call("personality-norandomize", 135, 0x0040000)
        call("personality-query", 135, 0xffffffff)
        call("clone3", 435, 0, 0)
        """;

    // The setns target is the user namespace of a child clone made, which this process owns, so
    // that joining it succeeds when the kernel decides; when clone was denied, it is this
    // process's own, which the filter denies as well (the kernel would answer EINVAL).
    private const string NamespaceProbe = Calls + "\n" + """
        clone_and_wait("clone", 0)
        clone_and_wait("clone-newuser", 0x10000000)
        clone_and_wait("clone-newuser-newnet", 0x50000000)
        r, w = os.pipe()
        pid = clone(0x10000000, lambda: (os.close(w), os.read(r, 1)))
        fd = os.open(f"/proc/{pid}/ns/user" if pid > 0 else "/proc/self/ns/user", os.O_RDONLY)
        report("setns", libc.syscall(308, fd, 0x10000000))
        os.close(w)
        if pid > 0:
            os.waitpid(pid, 0)
        """;

    // For the allow list of tests/fixtures/seccomp: a call it does not name (keyctl), one it
    // allows only with CAP_SYS_ADMIN (mount), one allowed from kernel 4.8 (ptrace: pid 0 is no
    // process, ESRCH once the kernel sees it), one allowed on amd64 only (arch_prctl
    // ARCH_GET_FS), clone3 with its errnoRet, and personality and clone by argument.
    private const string AllowListProbe = Calls + "\n" + """
        call("keyctl", 250, 0, -3, 0)
        call("mount", 165, b"none", b"/nonexistent-silo-probe", b"tmpfs", 0, 0)
        call("ptrace", 101, 2, 0, 0, 0)
        call("arch_prctl", 158, 0x1003, ctypes.byref(ctypes.c_ulong()))
        call("clone3", 435, 0, 0)
        call("personality-norandomize", 135, 0x0040000)
        call("personality-query", 135, 0xffffffff)
        clone_and_wait("clone-newuser", 0x10000000)
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        print("fork", "ok" if os.waitpid(pid, 0)[1] == 0 else "failed")
        t = threading.Thread(target=print, args=("thread ok",))
        t.start()
        t.join()
        """;

    [Fact(DisplayName = "seccomp: under the default profile keyctl, mount, unshare(CLONE_NEWUSER) and personality(ADDR_NO_RANDOMIZE) fail with EPERM, clone3 with ENOSYS")]
    public void DefaultProfile_Denies()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--", "/usr/bin/python3", "-c", Probe);
        Assert.Equal(
            ["keyctl EPERM", "mount EPERM", "unshare EPERM", "personality-norandomize EPERM", "personality-query ok", "clone3 ENOSYS"],
            Lines(result));
    }

    [Fact(DisplayName = "seccomp: with --seccomp-profile unconfined the same calls reach the kernel")]
    public void Unconfined_Allows()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--seccomp-profile", "unconfined", "--", "/usr/bin/python3", "-c", Probe);
        Assert.Equal(
            ["keyctl ok", "mount ENOENT", "unshare ok", "personality-norandomize ok", "personality-query ok", "clone3 EINVAL"],
            Lines(result));
    }

    [Fact(DisplayName = "seccomp: the filter is what stops keyctl as real root too, and the stage off lets it through")]
    public void Root_DefaultProfile_Denies()
    {
        string[] probe = ["--", "/usr/bin/python3", "-c", Probe];
        Assert.Contains("keyctl EPERM", Lines(Silo.Run(["--stages", "user", .. probe])));
        Assert.Contains("keyctl ok", Lines(Silo.Run(["--stages", "user,-seccomp", .. probe])));
    }

    [Fact(DisplayName = "seccomp: unshare -U fails with EPERM under the default profile and works with --allow-userns or unconfined")]
    public void UnshareUser()
    {
        var denied = Silo.RunAs(Silo.Nobody, "--stages", "user", "--", "unshare", "-U", "true");
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("Operation not permitted", denied.Stderr);
        Assert.Equal(0, Silo.RunAs(Silo.Nobody, "--stages", "user", "--allow-userns", "--", "unshare", "-U", "true").ExitCode);
        Assert.Equal(0, Silo.RunAs(Silo.Nobody, "--stages", "user", "--seccomp-profile", "unconfined", "--", "unshare", "-U", "true").ExitCode);
    }

    [Fact(DisplayName = "seccomp: clone with CLONE_NEWUSER and setns fail with EPERM under the default profile, and reach the kernel with --allow-userns or unconfined")]
    public void CloneNewUserAndSetns()
    {
        string[] probe = ["--", "/usr/bin/python3", "-c", NamespaceProbe];
        Assert.Equal(
            ["clone ok", "clone-newuser EPERM", "clone-newuser-newnet EPERM", "setns EPERM"],
            Lines(Silo.RunAs(Silo.Nobody, ["--stages", "user", .. probe])));
        string[] allowed = ["clone ok", "clone-newuser ok", "clone-newuser-newnet ok", "setns ok"];
        Assert.Equal(allowed, Lines(Silo.RunAs(Silo.Nobody, ["--stages", "user", "--allow-userns", .. probe])));
        string[] unconfined = ["--stages", "user", "--seccomp-profile", "unconfined", .. probe];
        Assert.Equal(allowed, Lines(Silo.RunAs(Silo.Nobody, unconfined)));
    }

    [Fact(DisplayName = "seccomp: threads still start under the default profile (libc falls back from clone3 to clone)")]
    public void Threads_Work()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--", "/usr/bin/python3", "-c",
            "import threading; t = threading.Thread(target=print, args=('from a thread',)); t.start(); t.join()");
        Assert.Equal("from a thread\n", result.Stdout);
    }

    [Fact(DisplayName = "seccomp: the program runs under one filter (Seccomp: 2), and none with the stage off")]
    public void FilterMode()
    {
        Assert.Equal("2", ProcStatus.AsNobody("--stages", "user")["Seccomp"]);
        Assert.Equal("0", ProcStatus.AsNobody("--stages", "user,-seccomp")["Seccomp"]);
    }

    [Fact(DisplayName = "seccomp: a Docker-format profile that denies mkdir makes mkdir fail while other calls work")]
    public void DockerProfile_DeniesMkdir()
    {
        string dir = Silo.SharedTempDirectory("silo-seccomp-");
        string profile = Path.Combine(dir, "no-mkdir.json");
        File.WriteAllText(profile, """
            {
              "defaultAction": "SCMP_ACT_ALLOW",
              "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
              "syscalls": [
                { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1 }
              ]
            }
            """);
        var result = Silo.Run(new SiloRun { WorkingDirectory = dir, AsUid = Silo.Nobody },
            "--stages", "user", "--seccomp-profile", profile, "--", "sh", "-c", "touch file && echo touched; mkdir sub || echo refused");
        Assert.Equal("touched\nrefused\n", result.Stdout);
        Assert.Contains("Operation not permitted", result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "sub")));
    }

    [Fact(DisplayName = "seccomp: a realistic Docker-format allow list (archMap, comments, errnoRet, includes and excludes with caps, arches, minKernel) loads and applies")]
    public void RealisticAllowList_Applies()
    {
        // Copied out of the build output, which uid 65534 may not be able to read.
        string profile = Path.Combine(Silo.SharedTempDirectory("silo-seccomp-"), "allow-list.json");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "fixtures", "seccomp", "allow-list.json"), profile);
        string[] probe = ["--", "/usr/bin/python3", "-c", AllowListProbe];
        var result = Silo.RunAs(Silo.Nobody, ["--stages", "user", "--seccomp-profile", profile, .. probe]);
        Assert.Equal(
            ["keyctl EPERM", "mount EPERM", "ptrace ESRCH", "arch_prctl ok", "clone3 ENOSYS",
             "personality-norandomize EPERM", "personality-query ok", "clone-newuser EPERM", "fork ok", "thread ok"],
            Lines(result));
        Assert.Equal("", result.Stderr);

        var unconfined = Silo.RunAs(Silo.Nobody, ["--stages", "user", "--seccomp-profile", "unconfined", .. probe]);
        Assert.Equal(
            ["keyctl ok", "mount ENOENT", "ptrace ESRCH", "arch_prctl ok", "clone3 EINVAL",
             "personality-norandomize ok", "personality-query ok", "clone-newuser ok", "fork ok", "thread ok"],
            Lines(unconfined));
    }

    [Theory(DisplayName = "seccomp: a malformed profile is refused before anything runs (exit 2), naming the field at fault")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["mkdir"], "action": "SCMP_ACT_BOGUS" } ] }""", "at $.syscalls[0].action: unknown action 'SCMP_ACT_BOGUS'")]
    [InlineData("""{ "syscalls": [] }""", "at $.defaultAction: missing")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [ { "index": 9, "value": 1, "op": "SCMP_CMP_EQ" } ] } ] }""", "at $.syscalls[0].args[0].index")]
    [InlineData("""{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": "mkdir", "action": "SCMP_ACT_ERRNO" } ] }""", "line 1, at $.syscalls[0].names")]
    [InlineData("{ \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [ }", "line 2, at $.syscalls")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscall":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}""", "line 1, at $.syscall: unknown field 'syscall'")]
    [InlineData("{ \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [ { \"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\",\n    \"arg\": [] } ] }", "line 3, at $.syscalls[0].arg: unknown field 'arg'")]
    public void MalformedProfile_Exits2(string json, string message)
    {
        string marker = Path.Combine(Silo.SharedTempDirectory("silo-seccomp-"), "ran");
        string profile = Path.Combine(Silo.SharedTempDirectory("silo-seccomp-"), "bad.json");
        File.WriteAllText(profile, json);
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--seccomp-profile", profile, "--", "touch", marker);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--seccomp-profile {profile}: {message}", result.Stderr);
        Assert.False(File.Exists(marker));
    }

    [Fact(DisplayName = "seccomp: a profile that denies a system call libseccomp does not know is refused, not silently weakened (exit 2)")]
    public void UnknownSyscall_Reported()
    {
        string profile = Path.Combine(Silo.SharedTempDirectory("silo-seccomp-"), "unknown.json");
        File.WriteAllText(profile, """{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["mkdir", "no_such_call"], "action": "SCMP_ACT_ERRNO" } ] }""");
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--seccomp-profile", profile, "--", "true");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("$.syscalls[0]: libseccomp", result.Stderr);
        Assert.Contains("'no_such_call'", result.Stderr);
    }

    [Fact(DisplayName = "seccomp: an allow-list profile naming a call libseccomp does not know runs, with a warning naming the call")]
    public void UnknownSyscall_InAllowList_Warns()
    {
        string profile = Path.Combine(Silo.SharedTempDirectory("silo-seccomp-"), "allow.json");
        File.WriteAllText(profile, """{ "defaultAction": "SCMP_ACT_LOG", "syscalls": [ { "names": ["getpid", "no_such_call"], "action": "SCMP_ACT_ALLOW" } ] }""");
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user", "--seccomp-profile", profile, "--", "true");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("no_such_call", result.Stderr);
    }

    private static string[] Lines(SiloResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
