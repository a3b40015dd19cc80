namespace Silo.Tests.Integration;

/// <summary>The spawn path end to end: exit statuses, stdio, usage errors.</summary>
[Trait("Stage", "workbench")]
public sealed class WorkbenchTests
{
    [Fact(DisplayName = "workbench: the target's exit status 0 is silo's")]
    public void Run_TargetExitsZero_ExitsZero()
    {
        Assert.Equal(0, Silo.Run("--stages", "uts", "--", "true").ExitCode);
    }

    [Fact(DisplayName = "workbench: the target's exit status 7 is silo's")]
    public void Run_TargetExitsSeven_ExitsSeven()
    {
        var result = Silo.Run("--stages", "uts", "--", "sh", "-c", "exit 7");
        Assert.Equal(7, result.ExitCode);
        Assert.Equal("", result.Stderr);
    }

    [Fact(DisplayName = "workbench: a target killed by signal 9 makes silo exit 137")]
    public void Run_TargetKilled_Exits128PlusSignal()
    {
        Assert.Equal(137, Silo.Run("--stages", "uts", "--", "sh", "-c", "kill -9 $$").ExitCode);
    }

    [Fact(DisplayName = "workbench: a command that is not found exits 127 and says so")]
    public void Run_CommandNotFound_Exits127()
    {
        var result = Silo.Run("--stages", "uts", "--", "no-such-command-anywhere");
        Assert.Equal(127, result.ExitCode);
        Assert.Contains("no-such-command-anywhere: command not found", result.Stderr);
    }

    [Fact(DisplayName = "workbench: with every stage, a command not found exits 127 and the message names the default root")]
    public void Run_AllStages_CommandNotFound_NamesTheRoot()
    {
        var result = Silo.Run("--", "no-such-command-anywhere");
        Assert.Equal(127, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.Contains("no-such-command-anywhere: command not found", line);
        Assert.Contains("whose root is the default root", line);
    }

    [Fact(DisplayName = "workbench: a file that is not executable exits 126")]
    public void Run_NotExecutable_Exits126()
    {
        string file = Path.Combine(Silo.SharedTempDirectory("silo-noexec-"), "data.txt");
        File.WriteAllText(file, "just data\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var result = Silo.Run("--stages", "uts", "--", file);
        Assert.Equal(126, result.ExitCode);
        Assert.Contains("not executable", result.Stderr);
    }

    [Fact(DisplayName = "workbench: silo's own failure exits 125 with one line naming the stage, step and way out")]
    public void Run_StageCannotWork_Exits125()
    {
        var result = Silo.RunAs(Silo.Nobody, "--stages", "uts", "--hostname", "box", "--", "true");
        Assert.Equal(125, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("silo: uts: ", line);
        Assert.Contains("run as root or enable the user stage", line);
    }

    [Fact(DisplayName = "workbench: stdin is piped through to the target and stdout back")]
    public void Run_Stdin_ReachesTarget()
    {
        var result = Silo.Run(new SiloRun { Stdin = "through the sandbox\n" }, "--stages", "uts", "--", "cat");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("through the sandbox\n", result.Stdout);
    }

    [Fact(DisplayName = "workbench: stderr of the target reaches silo's stderr untouched")]
    public void Run_Stderr_PassesThrough()
    {
        var result = Silo.Run("--stages", "uts", "--", "sh", "-c", "echo oops >&2");
        Assert.Equal("oops\n", result.Stderr);
    }

    [Fact(DisplayName = "workbench: an unknown stage is a usage error (exit 2) and nothing runs")]
    public void Run_UnknownStage_Exits2WithoutRunning()
    {
        string marker = Path.Combine(Silo.SharedTempDirectory("silo-marker-"), "ran");
        var result = Silo.Run("--stages", "uts,bogus", "--", "touch", marker);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown stage 'bogus'", result.Stderr);
        Assert.False(File.Exists(marker));
    }

    [Fact(DisplayName = "workbench: no command is a usage error (exit 2)")]
    public void Run_NoCommand_Exits2()
    {
        var result = Silo.Run("--stages", "uts");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no command given", result.Stderr);
    }

    [Fact(DisplayName = "workbench: --trace narrates the flags, the clone, each step and the exec")]
    public void Run_Trace_NarratesEveryStep()
    {
        var result = Silo.Run("--stages", "uts", "--hostname", "box", "--trace", "--", "true");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("clone(CLONE_NEWUTS | SIGCHLD)", result.Stderr);
        Assert.Contains("sethostname(\"box\")", result.Stderr);
        Assert.Contains("execve(/usr/bin/true)", result.Stderr);
    }

    [Fact(DisplayName = "workbench: silo prints nothing of its own on success")]
    public void Run_Success_PrintsNothingOfItsOwn()
    {
        var result = Silo.Run("--stages", "uts", "--hostname", "box", "--", "true");
        Assert.Equal("", result.Stdout + result.Stderr);
    }

    [Fact(DisplayName = "workbench: silo stages lists the stages found, in learning order")]
    public void Stages_ListsUts()
    {
        var result = Silo.Run("stages");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("01 uts", result.Stdout);
    }

    [Fact(DisplayName = "workbench: silo plan prints the system calls a run would make, and runs nothing")]
    public void Plan_PrintsSteps()
    {
        var result = Silo.Run("plan", "--stages", "uts", "--hostname", "box", "--", "hostname");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("sethostname(\"box\")", result.Stdout);
        Assert.Contains("target: hostname", result.Stdout);
    }

    [Fact(DisplayName = "workbench: a broken plugin is reported by file name and the other stages stay usable")]
    public void Run_BrokenPlugin_ReportedByName()
    {
        string dir = Silo.SharedTempDirectory("silo-broken-");
        File.WriteAllText(Path.Combine(dir, "Silo.Stage.Broken.dll"), "not an assembly");
        var result = Silo.Run("--stage-path", dir, "--stages", "uts", "--hostname", "box", "--", "hostname");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("box\n", result.Stdout);
        Assert.Contains("Silo.Stage.Broken.dll", result.Stderr);
    }

    [Fact(DisplayName = "workbench: a plugin whose constructor throws is reported by file name and the reason")]
    public void Run_PluginConstructorThrows_ReportedByNameOthersUsable()
    {
        using var plugin = TestPlugin.Copy("Silo.Stage.FaultyConstructor");
        var result = RunUtsBesides(plugin);
        Assert.Equal(
            $"silo: warning: host: stage plugin {plugin.File} is not usable: the constructor of " +
            "FaultyConstructorStage threw InvalidOperationException: the faulty test stage refuses to be constructed",
            Assert.Single(result.Stderr.TrimEnd().Split('\n')));
    }

    [Fact(DisplayName = "workbench: a plugin built for another stage contract is refused by file name")]
    public void Run_PluginForAnotherContract_RefusedByNameOthersUsable()
    {
        using var plugin = TestPlugin.Copy("Silo.Stage.OtherContract");
        var result = RunUtsBesides(plugin);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith($"silo: warning: host: stage plugin {plugin.File} is not usable: ", line);
        Assert.Contains("it was built for stage contract 99, this silo has contract ", line);
        Assert.EndsWith("; rebuild it against this silo", line);
    }

    [Fact(DisplayName = "workbench: a plugin whose own dependency is missing is reported by file name when loaded")]
    public void Run_PluginDependencyMissing_ReportedByNameOthersUsable()
    {
        using var plugin = TestPlugin.Copy(
            "Silo.Stage.MissingDependency", leaveOut: "Silo.TestPlugins.Dependency.dll");
        var result = RunUtsBesides(plugin);
        Assert.Equal(
            $"silo: warning: host: stage plugin {plugin.File} is not usable: it needs " +
            $"Silo.TestPlugins.Dependency.dll (version 1.0.0.0), which is neither in {plugin.Folder} " +
            "nor part of this silo; copy Silo.TestPlugins.Dependency.dll there, or publish the plugin " +
            "with its dependencies",
            Assert.Single(result.Stderr.TrimEnd().Split('\n')));
    }

    [Fact(DisplayName = "workbench: a plugin with its own dependency beside it loads and runs")]
    public void Run_PluginDependencyPresent_StageRuns()
    {
        using var plugin = TestPlugin.Copy("Silo.Stage.MissingDependency");
        var result = Silo.Run(
            "--stage-path", plugin.Folder, "--stages", "uts,missing-dependency", "--trace",
            "--", "true");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("missing-dependency: hello from the dependency", result.Stderr);
        Assert.DoesNotContain("not usable", result.Stderr);
    }

    /// <summary>Runs UTS with the plugin's folder searched too: UTS must still work.</summary>
    private static SiloResult RunUtsBesides(TestPlugin plugin)
    {
        var result = Silo.Run(
            "--stage-path", plugin.Folder, "--stages", "uts", "--hostname", "box", "--", "hostname");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("box\n", result.Stdout);
        return result;
    }
}
