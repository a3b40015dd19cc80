using System.Diagnostics;

namespace Silo.Tests.Integration;

/// <summary>
/// The PID stage's milestone: process ids of the sandbox's own, silo-init as PID 1 doing an init's
/// duties, nothing left running on the host, and a terminal of the sandbox's own.
/// </summary>
[Trait("Stage", "pid")]
public sealed class PidStageTests
{
    private const string MountWarning = "/proc still shows the host's processes";

    [Fact(DisplayName = "pid: the target's parent is PID 1 inside (silo-init), and the target has a small PID of its own")]
    public void Target_ParentIsPid1()
    {
        var result = Silo.Run("--stages", "pid", "--", "sh", "-c", "echo $$ $PPID");
        Assert.Equal(0, result.ExitCode);
        string[] ids = result.Stdout.Split(' ', StringSplitOptions.TrimEntries);
        Assert.Equal("1", ids[1]);
        Assert.InRange(int.Parse(ids[0]), 2, 9);
    }

    [Fact(DisplayName = "pid: the sandbox is in a PID namespace other than the host's")]
    public void Namespace_IsNew()
    {
        string host = Silo.Host("readlink", "/proc/self/ns/pid").Stdout.Trim();
        string inside = Silo.Run("--stages", "pid", "--", "readlink", "/proc/self/ns/pid").Stdout.Trim();
        Assert.StartsWith("pid:[", inside);
        Assert.NotEqual(host, inside);
    }

    [Fact(DisplayName = "pid: kill on a host process's PID fails inside, and the host process lives on")]
    public void Kill_HostPid_FailsInside()
    {
        using var sleeper = Process.Start("sleep", "1000");
        try
        {
            var result = Silo.Run("--stages", "pid", "--", "sh", "-c", $"kill -KILL {sleeper.Id}");
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("No such process", result.Stderr);
            Assert.False(sleeper.HasExited);
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [Fact(DisplayName = "pid: an orphan re-parented to silo-init is reaped while the target runs (no zombie)")]
    public void Orphan_IsReaped()
    {
        // The subshell exits at once, so its sleep is re-parented to PID 1 inside. The script then
        // watches PID 1's children until the orphan is gone or 10 s pass. It reads its own and its
        // parent's PID from /proc/self/status in the shell itself (no fork), so the numbers are
        // those of whichever /proc is mounted: the host's here, the sandbox's with the mount stage.
        const string script = """
            (sleep 0.3 &)
            while read -r key value rest; do
                case $key in Pid:) me=$value ;; PPid:) init=$value ;; esac
            done < /proc/self/status
            kids() { cat /proc/$init/task/$init/children; }
            echo "adopted $(kids | wc -w)"
            i=0
            while [ $(kids | wc -w) -gt 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
            for c in $(kids); do [ $c = $me ] || echo "left $(awk '/^State:/ {print $2}' /proc/$c/status)"; done
            echo done
            """;
        var result = Silo.Run("--stages", "pid", "--", "sh", "-c", script);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("adopted 2\ndone\n", result.Stdout);
    }

    [Fact(DisplayName = "pid: SIGTERM to the host silo reaches the target, which dies of it: exit 143")]
    public void SigTerm_ToSilo_ReachesTarget()
    {
        using var silo = BackgroundSilo.Start("--stages", "pid", "--", "sh", "-c", "echo ready; exec sleep 1000");
        Assert.Equal("ready", silo.ReadLine());
        silo.Signal("TERM");
        Assert.Equal(143, silo.WaitForExit());
    }

    [Theory(DisplayName = "pid: a signal to the host silo is forwarded to the target, which can trap it")]
    [InlineData("INT")]
    [InlineData("HUP")]
    [InlineData("QUIT")]
    [InlineData("USR1")]
    [InlineData("USR2")]
    [InlineData("WINCH")]
    public void Signal_ToSilo_ReachesTarget(string signal)
    {
        // The short sleeps let the shell run its trap between them; without forwarding, the loop
        // runs until the test's timeout and the status is not 0.
        using var silo = BackgroundSilo.Start(
            "--stages", "pid", "--", "bash", "-c",
            $"trap 'echo got {signal}; exit 0' {signal}; echo ready; while :; do sleep 0.1; done");
        Assert.Equal("ready", silo.ReadLine());
        silo.Signal(signal);
        Assert.Equal($"got {signal}", silo.ReadLine());
        Assert.Equal(0, silo.WaitForExit());
    }

    [Fact(DisplayName = "pid: SIGKILL to the host silo leaves no process of the sandbox on the host")]
    public void SigKill_ToSilo_LeavesNothing()
    {
        string marker = $"marker-{Guid.NewGuid():N}";
        using var silo = BackgroundSilo.Start(
            "--stages", "pid", "--", "sh", "-c",
            $"readlink /proc/self/ns/pid; sh -c 'sleep 1000; : {marker}' & sleep 1000; : {marker}");
        string ns = silo.ReadLine();
        Assert.True(Poll.Until(() => SandboxProcesses.In(ns).Length >= 5), "the sandbox never had its five processes");
        Assert.NotEmpty(SandboxProcesses.WithMarker(marker));

        silo.Signal("KILL");
        Assert.Equal(137, silo.WaitForExit());
        Assert.True(
            Poll.Until(() => SandboxProcesses.In(ns).Length == 0),
            $"left running: {string.Join(", ", SandboxProcesses.In(ns))}");
        Assert.Empty(SandboxProcesses.WithMarker(marker));
    }

    [Fact(DisplayName = "pid: a target that ignores SIGTERM keeps running when silo gets one, and ends with its own status")]
    public void Target_IgnoringSigTerm_EndsWithOwnStatus()
    {
        using var silo = BackgroundSilo.Start(
            "--stages", "pid", "--", "sh", "-c", "trap '' TERM; echo ready; read line; echo \"still $line\"; exit 4");
        Assert.Equal("ready", silo.ReadLine());
        silo.Signal("TERM");
        Thread.Sleep(300); // time for the signal to travel silo, silo-init, target (not an assertion)
        silo.WriteLine("here");
        Assert.Equal("still here", silo.ReadLine());
        Assert.Equal(4, silo.WaitForExit());
    }

    [Fact(DisplayName = "pid: a target that starts 100 children and exits ends silo with its status and leaves nothing")]
    public void Target_Forking100Children_LeavesNothing()
    {
        string marker = $"marker-{Guid.NewGuid():N}";
        var result = Silo.Run(
            "--stages", "pid", "--", "sh", "-c",
            $"readlink /proc/self/ns/pid; for i in $(seq 100); do sh -c 'sleep 1000; : {marker}' & done; exit 3");
        Assert.Equal(3, result.ExitCode);

        // silo-init's exit as PID 1 completes only once the kernel has ended and released every
        // other process of its namespace: nothing may be left by the time silo has exited.
        Assert.Empty(SandboxProcesses.In(result.Stdout.Trim()));
        Assert.Empty(SandboxProcesses.WithMarker(marker));
    }

    [Fact(DisplayName = "pid: a double-forked daemon does not outlive the target")]
    public void DoubleForkedDaemon_DoesNotOutliveTarget()
    {
        string marker = $"marker-{Guid.NewGuid():N}";
        var result = Silo.Run(
            "--stages", "pid", "--", "sh", "-c",
            "readlink /proc/self/ns/pid; " +
            $"(setsid sh -c 'sleep 1000; : {marker}' </dev/null >/dev/null 2>&1 &); exit 0");
        Assert.Equal(0, result.ExitCode);
        Assert.Empty(SandboxProcesses.In(result.Stdout.Trim()));
        Assert.Empty(SandboxProcesses.WithMarker(marker));
    }

    [Fact(DisplayName = "pid: a target that closes its stdout early still ends with its own status")]
    public void Target_ClosingStdout_EndsWithOwnStatus()
    {
        var result = Silo.Run("--stages", "pid", "--", "sh", "-c", "echo before; exec >&-; sleep 0.2; exit 6");
        Assert.Equal(6, result.ExitCode);
        Assert.Equal("before\n", result.Stdout);
    }

    [Fact(DisplayName = "pid: a reader that stops early ends the target with SIGPIPE, and silo with 141")]
    public void Reader_StoppingEarly_Exits141()
    {
        var result = Silo.Host(
            "bash", "-c", $"'{Silo.Binary}' --stages pid -- yes 2>/dev/null | head -n 1; echo \"status ${{PIPESTATUS[0]}}\"");
        Assert.Equal("y\nstatus 141\n", result.Stdout);
    }

    [Fact(DisplayName = "pid: silo-init leads a session of its own, so signals to silo's process group reach the target once, through silo")]
    public void Init_HasSessionOfItsOwn()
    {
        const string script = """
            while read -r key value rest; do [ "$key" = PPid: ] && init=$value; done < /proc/self/status
            read -r pid comm state ppid group session rest < /proc/$init/stat
            [ "$group" = "$init" ] && [ "$session" = "$init" ] && echo own-session
            """;
        var result = Silo.Run("--stages", "pid", "--", "sh", "-c", script);
        Assert.Equal("own-session\n", result.Stdout);
    }

    [Theory(DisplayName = "pid: the target's exit status is silo's, and death by signal N is 128+N")]
    [InlineData("exit 0", 0)]
    [InlineData("exit 7", 7)]
    [InlineData("kill -TERM $$", 143)]
    [InlineData("kill -KILL $$", 137)]
    public void ExitStatus_IsTargets(string script, int expected)
    {
        Assert.Equal(expected, Silo.Run("--stages", "pid", "--", "sh", "-c", script).ExitCode);
    }

    [Fact(DisplayName = "pid: without the mount stage, silo warns in one line that /proc still shows the host's processes, and runs")]
    public void WithoutMount_WarnsInOneLine()
    {
        var result = Silo.Run("--stages", "pid", "--", "true");
        Assert.Equal(0, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("silo: warning: pid: ", line);
        Assert.Contains(MountWarning, line);
        Assert.Contains("enable the mount stage", line);
    }

    [Fact(DisplayName = "pid: an unprivileged user without the user stage is refused in one line with the way out")]
    public void Unprivileged_WithoutUserStage_Refused()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "pid", "--", "true");
        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("silo: pid: ", line);
        Assert.Contains("enable the user stage", line);
    }

    [Fact(DisplayName = "pid: as an ordinary user with the user stage, the target's parent is PID 1 inside")]
    public void Unprivileged_WithUserStage_ParentIsPid1()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "user,pid", "--", "sh", "-c", "echo $PPID");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("1\n", result.Stdout);
    }

    [Fact(DisplayName = "pid: as an ordinary user with the user stage, SIGKILL to silo leaves no process of the sandbox")]
    public void Unprivileged_SigKill_LeavesNothing() => SigKillWithUserStage_LeavesNothing(Silo.Nobody);

    // Becoming root of the user namespace changes the child's host uid from 0 to the range's
    // first id, and the kernel clears a death signal at such a change: the trampoline must set it
    // again, or the sandbox outlives silo.
    [Fact(DisplayName = "pid: as real root with the user stage (root inside is uid 100000 outside), SIGKILL to silo leaves nothing")]
    public void RootMappedToRange_SigKill_LeavesNothing() => SigKillWithUserStage_LeavesNothing(null);

    [Fact(DisplayName = "pid: with the mount stage, PID 1 inside is silo-init and ps lists only the sandbox's processes")]
    public void WithMount_PsShowsOnlySandbox()
    {
        var result = Silo.Run(
            "--stages", "pid,mount", "--", "sh", "-c", "tr -d '\\0' < /proc/1/cmdline; echo; ps -e -o pid= | wc -l");
        Assert.Equal(0, result.ExitCode);
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("silo-init", lines[0]);
        Assert.InRange(int.Parse(lines[1].Trim()), 3, 6); // silo-init, sh, ps, and wc perhaps
        Assert.DoesNotContain(MountWarning, result.Stderr);
    }

    [Fact(DisplayName = "pid: with the mount stage, a host process is invisible inside, in /proc and to ps")]
    public void WithMount_HostProcessInvisible()
    {
        string marker = $"marker-{Guid.NewGuid():N}";
        using var sleeper = Process.Start("sh", ["-c", $"sleep 1000; : {marker}"]);
        try
        {
            Assert.True(
                Poll.Until(() => SandboxProcesses.WithMarker(marker).Length > 0), "the host process never started");
            var result = Silo.Run(
                "--stages", "pid,mount", "--", "sh", "-c",
                $"test -e /proc/{sleeper.Id} && echo visible-in-proc; " +
                $"ps -e -o args= | grep -c '[{marker[0]}]{marker[1..]}'");
            Assert.Equal("0\n", result.Stdout);
        }
        finally
        {
            sleeper.Kill(entireProcessTree: true);
        }
    }

    private static void SigKillWithUserStage_LeavesNothing(int? uid)
    {
        using var silo = BackgroundSilo.StartAs(
            uid, "--stages", "user,pid", "--", "sh", "-c", "readlink /proc/self/ns/pid; sleep 1000 & sleep 1000");
        string ns = silo.ReadLine();
        Assert.True(Poll.Until(() => SandboxProcesses.In(ns).Length >= 4), "the sandbox never had its four processes");
        silo.Signal("KILL");
        Assert.Equal(137, silo.WaitForExit());
        Assert.True(
            Poll.Until(() => SandboxProcesses.In(ns).Length == 0),
            $"left running: {string.Join(", ", SandboxProcesses.In(ns))}");
    }
}
