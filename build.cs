// build.cs: silo's build script, a .NET file-based program.
//
//   dotnet run build.cs -- <target> [args]
//
//   build               compile everything (the C trampoline too) in Release
//   publish             leave a runnable artifacts/silo/silo with silo-init, the trampoline and the
//                       stage plugins beside it; the folder can be copied elsewhere and still run
//   test                publish, then run the unit and the integration tests; the last line is
//                       "N passed, N failed, N skipped" over both
//   milestone <stage>   publish, then run one stage's integration tests as a readable list of what
//                       was proved ("all": the workbench, every stage in learning order, then the
//                       all-stages proof and the escape suite)
//
// Bullseye, the usual target runner, is not served by the registry this project builds from; the
// small table below does its job: each target names the targets it needs first.
using System.Diagnostics;
using System.Xml.Linq;

string root = Path.GetDirectoryName(Path.GetFullPath(AppContext.GetData("EntryPointFilePath") as string ?? "build.cs"))!;
string artifacts = Path.Combine(root, "artifacts");
string published = Path.Combine(artifacts, "silo");

var targets = new Dictionary<string, (string[] DependsOn, Func<string[], int> Run)>
{
    ["build"] = ([], _ => Dotnet("build", "Silo.Workbench.sln", "-c", "Release", "--nologo", "-v", "quiet")),
    ["publish"] = (["build"], _ => Publish()),
    ["test"] = (["publish"], _ => Test()),
    ["milestone"] = (["publish"], args => Milestone(args)),
};

if (args.Length == 0 || !targets.ContainsKey(args[0]))
{
    Console.Error.WriteLine($"usage: dotnet run build.cs -- <{string.Join("|", targets.Keys)}> [args]");
    return 2;
}

// A milestone that does not exist is refused before anything is built.
if (args[0] == "milestone" && args.Length == 2 && args[1] != "all" && !Journey().Contains(args[1]))
{
    Console.Error.WriteLine($"build.cs: milestone: no milestone '{args[1]}'; there are: {string.Join(", ", Journey())}, all");
    return 2;
}

var done = new HashSet<string>();
return RunTarget(args[0], args[1..]);

// The milestones in the learner's order: the workbench (command line to exit status), each stage
// in learning order, then the all-stages proof and the escape suite.
string[] Journey() =>
[
    "workbench",
    .. Directory.EnumerateDirectories(Path.Combine(root, "stages")).Order().Select(d => Path.GetFileName(d)[3..]),
    "all-stages", "escape",
];

int RunTarget(string name, string[] targetArgs)
{
    foreach (string dependency in targets[name].DependsOn)
    {
        if (done.Add(dependency) && RunTarget(dependency, []) is int rc and not 0)
        {
            return rc;
        }
    }

    Console.Error.WriteLine($"build.cs: {name}");
    return targets[name].Run(targetArgs);
}

int Publish()
{
    if (Directory.Exists(published))
    {
        Directory.Delete(published, recursive: true);
    }

    string initOut = Path.Combine(artifacts, "publish-init");
    // The host is compiled ahead of time to native code as well as IL (ReadyToRun): the JIT then
    // has far less to do at every start, and start-up is most of what a sandbox run costs.
    int rc = Dotnet("publish", "host/Silo/Silo.csproj", "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
        "-p:PublishReadyToRun=true", "-o", published, "--nologo", "-v", "quiet");
    rc = rc != 0 ? rc : Dotnet("publish", "host/Silo.Init/Silo.Init.csproj", "-c", "Release", "-o", initOut, "--nologo", "-v", "quiet");
    if (rc != 0)
    {
        return rc;
    }

    File.Copy(Path.Combine(initOut, "silo-init"), Path.Combine(published, "silo-init"), overwrite: true);
    foreach (string project in Directory.EnumerateFiles(Path.Combine(root, "stages"), "*.csproj", SearchOption.AllDirectories).Order())
    {
        string folder = Path.GetFileName(Path.GetDirectoryName(project)!);
        // ReadyToRun like the host: a plugin's methods are then precompiled instead of JIT-compiled
        // at every start (stages/Directory.Build.props hands the compiler the host's assemblies).
        rc = Dotnet("publish", project, "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
            "-p:PublishReadyToRun=true", "-o", Path.Combine(published, "stages", folder), "--nologo", "-v", "quiet");
        if (rc != 0)
        {
            return rc;
        }
    }

    foreach (string debris in Directory.EnumerateFiles(published, "*", SearchOption.AllDirectories)
                 .Where(f => f.EndsWith(".pdb") || f.EndsWith(".xml") || f.EndsWith(".dbg")))
    {
        File.Delete(debris);
    }

    Console.Error.WriteLine($"build.cs: published {Path.GetRelativePath(root, published)}/silo");
    return 0;
}

int Test()
{
    var totals = new Totals();
    string results = Path.Combine(artifacts, "test-results");
    if (Directory.Exists(results))
    {
        Directory.Delete(results, recursive: true);
    }

    int rc = 0;
    foreach (string project in new[] { "tests/Silo.Tests.Unit", "tests/Silo.Tests.Integration" })
    {
        string name = Path.GetFileName(project);
        rc |= DotnetWith(
            ["test", project, "-c", "Release", "--no-build", "--nologo",
             "--logger", $"trx;LogFileName={name}.trx", "--results-directory", results,
             "--logger", "console;verbosity=normal"],
            ("SILO_PUBLISHED", published));
        totals.Add(Path.Combine(results, $"{name}.trx"));
    }

    Console.WriteLine(totals.Line);
    return rc != 0 || totals.Failed > 0 || totals.Passed == 0 ? 1 : 0;
}

int Milestone(string[] milestoneArgs)
{
    if (milestoneArgs.Length != 1)
    {
        Console.Error.WriteLine("usage: dotnet run build.cs -- milestone <stage|all>");
        return 2;
    }

    string stage = milestoneArgs[0];
    string results = Path.Combine(artifacts, "milestone-results");
    string[] stages = stage == "all" ? Journey() : [stage];
    var totals = new Totals();
    foreach (string one in stages)
    {
        string trx = $"milestone-{one}.trx";
        DotnetWith(
            ["test", "tests/Silo.Tests.Integration", "-c", "Release", "--no-build", "--nologo", "-v", "quiet",
             "--logger", "console;verbosity=quiet", "--filter", $"Stage={one}", "--logger", $"trx;LogFileName={trx}", "--results-directory", results],
            ("SILO_PUBLISHED", published));
        totals.Add(Path.Combine(results, trx), printChecks: true);
    }

    Console.WriteLine(totals.Line);
    return totals.Failed > 0 || totals.Passed == 0 ? 1 : 0;
}

int Dotnet(params string[] dotnetArgs) => DotnetWith(dotnetArgs);

int DotnetWith(string[] dotnetArgs, params (string Name, string Value)[] environment)
{
    var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root };
    foreach (string arg in dotnetArgs)
    {
        start.ArgumentList.Add(arg);
    }

    foreach (var (name, value) in environment)
    {
        start.Environment[name] = value;
    }

    using var process = Process.Start(start)!;
    process.WaitForExit();
    return process.ExitCode;
}

sealed class Totals
{
    public int Passed { get; private set; }
    public int Failed { get; private set; }
    public int Skipped { get; private set; }

    public string Line => $"{Passed} passed, {Failed} failed, {Skipped} skipped";

    public void Add(string trxPath, bool printChecks = false)
    {
        if (!File.Exists(trxPath))
        {
            Console.Error.WriteLine($"build.cs: no test results at {trxPath}: the test run did not start");
            Failed++;
            return;
        }

        XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
        var doc = XDocument.Load(trxPath);
        foreach (var result in doc.Descendants(ns + "UnitTestResult").OrderBy(r => (string?)r.Attribute("testName"), StringComparer.Ordinal))
        {
            string outcome = (string?)result.Attribute("outcome") ?? "";
            string name = (string?)result.Attribute("testName") ?? "";
            switch (outcome)
            {
                case "Passed": Passed++; break;
                case "NotExecuted": Skipped++; break;
                default: Failed++; break;
            }

            if (printChecks)
            {
                string mark = outcome switch { "Passed" => "proved ", "NotExecuted" => "skipped", _ => "FAILED " };
                Console.WriteLine($"  {mark} {name}");
                if (outcome is not ("Passed" or "NotExecuted"))
                {
                    string? message = result.Descendants(ns + "Message").FirstOrDefault()?.Value;
                    Console.WriteLine($"          {message?.Split('\n')[0]}");
                }
            }
        }
    }
}
