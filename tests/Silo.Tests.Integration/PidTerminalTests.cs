namespace Silo.Tests.Integration;

/// <summary>
/// The PID stage's terminal lessons: with a terminal on stdin, the sandbox gets a pseudo-terminal
/// of its own (job control, Ctrl-C and Ctrl-Z inside, window size), never the user's.
/// </summary>
[Trait("Stage", "pid")]
public sealed class PidTerminalTests
{
    private const string Prompt = "prompt> ";

    // Pushes "echo INJECTED" and a newline into the input of the terminal on stdin, one byte per
    // TIOCSTI, as the exploits of CVE-2017-5226 did, then says that the ioctl worked.
    private const string InjectProbe =
        "import fcntl, termios\n" +
        "for c in b'echo INJECTED\\n':\n" +
        "    fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))\n" +
        "print('probe-ok')\n";

    // After the probe, the shell that ran it reads what is waiting on its terminal: injected
    // bytes would be there, ready to run as the user's next command.
    private const string ReadWhatWaits = "; read -t 1 line; echo \"after:[$line]\"";

    [Fact(DisplayName = "pid: an interactive bash on a terminal has job control: a background job is listed and killed")]
    public void Terminal_InteractiveBash_HasJobControl()
    {
        using var session = TerminalSession.Start(
            "env", $"PS1={Prompt}", Silo.Binary, "--stages", "pid", "--", "bash", "--norc", "--noprofile", "-i");
        session.Expect(Prompt);
        session.Send("tty; sleep 100 &\n");
        session.Expect("/dev/pts/");
        session.Expect(Prompt);
        session.Send("jobs\n");
        session.Expect("Running");
        session.Expect(Prompt);
        session.Send("kill %1; wait %1; echo \"st:$?\"\n");
        session.Expect("st:143");
        session.Send("exit 7\n");
        Assert.Equal(7, session.WaitForExit());
        Assert.DoesNotContain("no job control", session.Screen);
    }

    [Fact(DisplayName = "pid: as an ordinary user with the user stage, an interactive bash has job control")]
    public void Terminal_Unprivileged_HasJobControl()
    {
        using var session = TerminalSession.Start(
            "setpriv", $"--reuid={Silo.Nobody}", $"--regid={Silo.Nobody}", "--clear-groups",
            "env", $"PS1={Prompt}", Silo.Binary, "--stages", "user,pid", "--", "bash", "--norc", "--noprofile", "-i");
        session.Expect(Prompt);
        session.Send("sleep 100 &\n");
        session.Expect(Prompt);
        session.Send("jobs; kill %1; wait %1; echo \"st:$?\"\n");
        session.Expect("Running");
        session.Expect("st:143");
        session.Send("exit 3\n");
        Assert.Equal(3, session.WaitForExit());
        Assert.DoesNotContain("no job control", session.Screen);
    }

    [Fact(DisplayName = "pid: Ctrl-C interrupts the foreground job inside and not silo; Ctrl-Z stops it and fg resumes it")]
    public void Terminal_CtrlCAndCtrlZ_ActInside()
    {
        string job = Path.Combine(Silo.SharedTempDirectory("silo-job-"), "job.sh");
        File.WriteAllText(job, "trap 'echo RESUMED' CONT\necho STARTED\nwhile :; do sleep 0.1; done\n");
        using var session = TerminalSession.Start(
            "env", $"PS1={Prompt}", Silo.Binary, "--stages", "pid", "--", "bash", "--norc", "--noprofile", "-i");
        session.Expect(Prompt);

        session.Send($"sh {job}\n");
        session.Expect("STARTED");
        session.Send("\x03");
        session.Expect(Prompt);
        session.Send("echo \"int:$?\"\n");
        session.Expect("int:130");

        session.Send($"sh {job}\n");
        session.Expect("STARTED");
        session.Send("\x1a");
        session.Expect("Stopped");
        session.Send("fg\n");
        session.Expect("RESUMED");
        session.Send("\x03");
        session.Expect(Prompt);
        session.Send("echo \"fg:$?\"\n");
        session.Expect("fg:130");

        session.Send("exit 5\n");
        Assert.Equal(5, session.WaitForExit());
    }

    [Fact(DisplayName = "pid: the terminal inside has the user's window size at start and follows a resize")]
    public void Terminal_WindowSize_Follows()
    {
        using var session = TerminalSession.StartSized(
            30, 100, Silo.Binary, "--stages", "pid", "--", "sh", "-c",
            "stty size; trap 'stty size; exit 0' 28; echo waiting; while :; do sleep 0.1; done");
        session.Expect("30 100");
        session.Expect("waiting");
        session.Resize(40, 120);
        session.Expect("40 120");
        Assert.Equal(0, session.WaitForExit());
    }

    [Fact(DisplayName = "pid: a TIOCSTI attempt inside lands on the sandbox's own terminal, not in the user's shell")]
    public void Terminal_Tiocsti_DoesNotReachUser()
    {
        using var session = TerminalSession.Start(
            "bash", "-c", $"'{Silo.Binary}' --stages pid -- python3 -c \"$0\" 2>/dev/null" + ReadWhatWaits, InjectProbe);
        Assert.Equal(0, session.WaitForExit());
        Assert.Contains("probe-ok", session.Screen); // the ioctl worked, on the sandbox's terminal
        Assert.Contains("after:[]", session.Screen);
    }

    [Fact(DisplayName = "pid: the TIOCSTI probe does reach the user's shell when run on the user's terminal (control)")]
    public void Terminal_Tiocsti_ReachesUserWithoutSilo()
    {
        // The same probe without silo: proves that this kernel lets it inject (dev.tty.legacy_tiocsti,
        // capabilities), so that the test above can fail if silo handed the user's terminal through.
        using var session = TerminalSession.Start("bash", "-c", "python3 -c \"$0\"" + ReadWhatWaits, InjectProbe);
        Assert.Equal(0, session.WaitForExit());
        Assert.Contains("after:[echo INJECTED]", session.Screen);
    }

    [Fact(DisplayName = "pid: without a terminal, stdin and stdout pass through as the same bytes")]
    public void NoTerminal_BytesPassUnchanged()
    {
        const string bytes = "a\r\nb\u0003c\u0004d\n";
        var result = Silo.Run(new SiloRun { Stdin = bytes }, "--stages", "pid", "--", "cat");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(bytes, result.Stdout);
    }
}
