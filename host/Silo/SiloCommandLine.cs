using System.CommandLine;
using Silo.Abstractions;

namespace Silo;

/// <summary>
/// silo's command line: its own options, every option the loaded stages bring, and the
/// <c>stages</c> and <c>plan</c> subcommands. Built with System.CommandLine; the result is an
/// <see cref="Invocation"/>, or a <see cref="UsageException"/> before anything is cloned.
/// </summary>
internal sealed class SiloCommandLine
{
    private readonly StageCatalog _catalog;
    private readonly TextWriter _stdout;
    private readonly RootCommand _root;
    private readonly Option<string[]> _stages = new("--stages")
    {
        Description = "Stages to enable, comma-separated (\"all\" for every stage, \"-name\" to turn one off). Default: all",
        HelpName = "LIST",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        Recursive = true,
    };
    private readonly Option<bool> _trace = new("--trace")
    {
        Description = "Narrate every step on stderr: flags, clone, parent-side and child-side steps, exec",
        Recursive = true,
    };
    private readonly Option<string[]> _stagePath = new("--stage-path")
    {
        Description = $"Another folder to load stage plugins from (also ${StageCatalog.PathVariable}, colon-separated)",
        HelpName = "DIR",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        Recursive = true,
    };
    private readonly Argument<string[]> _command = new("command")
    {
        Description = "The program to run inside, and its arguments (put -- before it when it takes options)",
        Arity = ArgumentArity.ZeroOrMore,
    };
    private readonly Argument<string[]> _planCommand = new("command") { Arity = ArgumentArity.ZeroOrMore };
    private readonly Command _stagesCommand = new("stages", "List the stages found, in learning order, and what the chosen ones isolate");
    private readonly Command _planCommandVerb = new("plan", "Print the plan a run would execute, step by step, without running it");
    private readonly Dictionary<StageOption, (Option Option, IIsolationStage Stage)> _stageOptions = [];

    public SiloCommandLine(StageCatalog catalog, TextWriter stdout)
    {
        _catalog = catalog;
        _stdout = stdout;
        _root = new RootCommand("silo runs a program in fresh Linux namespaces, one stage per namespace.");
        _root.Options.Add(_stages);
        _root.Options.Add(_trace);
        _root.Options.Add(_stagePath);
        _root.Arguments.Add(_command);
        _planCommandVerb.Arguments.Add(_planCommand);
        _root.Subcommands.Add(_stagesCommand);
        _root.Subcommands.Add(_planCommandVerb);
        foreach (Command command in (Command[])[_root, _stagesCommand, _planCommandVerb])
        {
            command.SetAction(_ => 0);
        }
        foreach (LoadedStage loaded in catalog.Stages)
        {
            foreach (StageOption descriptor in loaded.Stage.Options)
            {
                Option option = MakeOption(descriptor, loaded.Stage);
                _root.Options.Add(option);
                _stageOptions[descriptor] = (option, loaded.Stage);
            }
        }
    }

    /// <summary>The values of <c>--stage-path</c>, read before the plugins are loaded.</summary>
    public static IReadOnlyList<string> PreScanStagePaths(IReadOnlyList<string> args)
    {
        var paths = new List<string>();
        for (int i = 0; i < args.Count && args[i] != "--"; i++)
        {
            if (args[i] == "--stage-path" && i + 1 < args.Count)
            {
                paths.Add(args[++i]);
            }
            else if (args[i].StartsWith("--stage-path=", StringComparison.Ordinal))
            {
                paths.Add(args[i]["--stage-path=".Length..]);
            }
        }

        return paths;
    }

    /// <summary>True when --trace comes before the command.</summary>
    public static bool PreScanTrace(IReadOnlyList<string> args) =>
        args.TakeWhile(a => a != "--").Contains("--trace");

    public Invocation Parse(IReadOnlyList<string> args)
    {
        ParseResult result = _root.Parse(SeparateCommand(args));
        // The commands' own action is a placeholder: silo acts on the Invocation, not inside the
        // parser. Any other action is --help or --version, which the parser performs itself.
        if (result.Errors.Count == 0 && result.Action is not null &&
            result.Action != result.CommandResult.Command.Action)
        {
            result.Invoke(new InvocationConfiguration { Output = _stdout });
            return new Invocation(InvocationKind.Done, [], false, StageOptionValues.Empty, [], false);
        }

        if (result.Errors.Count > 0)
        {
            throw new UsageException(result.Errors[0].Message);
        }

        var (stages, named) = EnabledStages(result.GetValue(_stages));
        StageOptionValues options = OptionValues(result, stages);
        bool trace = result.GetValue(_trace);
        Command verb = result.CommandResult.Command;
        if (verb == _stagesCommand)
        {
            return new Invocation(InvocationKind.ListStages, stages, named, options, [], trace);
        }

        string[] command = result.GetValue(verb == _planCommandVerb ? _planCommand : _command) ?? [];
        if (command.Length == 0)
        {
            throw new UsageException("no command given: silo [OPTIONS] [--] COMMAND [ARG...], for example: silo --stages uts -- hostname");
        }

        var kind = verb == _planCommandVerb ? InvocationKind.Plan : InvocationKind.Run;
        return new Invocation(kind, StageOrder.Sort(stages), named, options, command, trace);
    }

    private Option MakeOption(StageOption descriptor, IIsolationStage stage)
    {
        string description = $"[{stage.Name}] {descriptor.Description}";
        if (descriptor.IsFlag)
        {
            return new Option<bool>(descriptor.Name, [.. descriptor.Aliases])
            {
                Description = description,
                Recursive = true,
            };
        }

        if (!descriptor.Repeatable)
        {
            return new Option<string>(descriptor.Name, [.. descriptor.Aliases])
            {
                Description = description,
                HelpName = descriptor.ValueName,
                Recursive = true,
            };
        }

        return new Option<string[]>(descriptor.Name, [.. descriptor.Aliases])
        {
            Description = description.Contains("repeatable") ? description : description + " (repeatable)",
            HelpName = descriptor.ValueName,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            Recursive = true,
        };
    }

    // Everything from the first word that is not an option (or one's value) is the command, with
    // its own options: `silo ls -l` runs `ls -l`, as `unshare ls -l` does. An explicit -- works too.
    private string[] SeparateCommand(IReadOnlyList<string> args)
    {
        var valued = new HashSet<string>(["--stages", "--stage-path"]);
        var known = new HashSet<string>(["--stages", "--stage-path", "--trace", "--help", "-h", "-?", "--version"]);
        foreach (var (descriptor, (option, _)) in _stageOptions)
        {
            known.Add(option.Name);
            known.UnionWith(option.Aliases);
            if (!descriptor.IsFlag)
            {
                valued.Add(option.Name);
                valued.UnionWith(option.Aliases);
            }
        }

        int i = args.Count > 0 && args[0] is "stages" or "plan" ? 1 : 0;
        while (i < args.Count)
        {
            string token = args[i];
            if (token == "--")
            {
                return [.. args];
            }

            if (token.StartsWith('-') && token.Length > 1)
            {
                string name = token.Split('=', 2)[0];
                if (!known.Contains(name))
                {
                    throw new UsageException($"unknown option '{name}'; put -- before the command if it belongs to the command");
                }

                i += valued.Contains(token) ? 2 : 1;
                continue;
            }

            return [.. args.Take(i), "--", .. args.Skip(i)];
        }

        return [.. args];
    }

    private (List<IIsolationStage> Stages, bool Named) EnabledStages(string[]? values)
    {
        var all = _catalog.Stages.Select(s => s.Stage).ToList();
        if (values is null || values.Length == 0)
        {
            return (all, false);
        }

        var names = values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        var enabled = new HashSet<string>(all.Where(s => s.EnabledByDefault).Select(s => s.Name));
        foreach (string name in names)
        {
            bool off = name.StartsWith('-');
            string bare = off ? name[1..] : name;
            if (bare == "all")
            {
                enabled.UnionWith(off ? [] : all.Select(s => s.Name));
                continue;
            }

            if (all.All(s => s.Name != bare))
            {
                throw new UsageException($"--stages: unknown stage '{bare}'; the stages found are: {ValidNames()}");
            }

            if (off)
            {
                enabled.Remove(bare);
            }
            else
            {
                enabled.Add(bare);
            }
        }

        return (all.Where(s => enabled.Contains(s.Name)).ToList(), true);
    }

    private string ValidNames()
    {
        string names = string.Join(", ", _catalog.Stages.Select(s => s.Stage.Name).Append("all"));
        return _catalog.Broken.Count == 0
            ? names
            : names + $" (and {_catalog.Broken.Count} plugin(s) that failed to load: {string.Join(", ", _catalog.Broken.Select(b => Path.GetFileName(b.File)))})";
    }

    private StageOptionValues OptionValues(ParseResult result, List<IIsolationStage> enabled)
    {
        var values = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var (descriptor, (option, stage)) in _stageOptions)
        {
            if (result.GetResult(option) is not { Implicit: false } given)
            {
                continue;
            }

            if (!enabled.Contains(stage))
            {
                throw new UsageException($"{descriptor.Name} belongs to the {stage.Name} stage, which is off: add {stage.Name} to --stages");
            }

            IReadOnlyList<string> list = descriptor switch
            {
                { IsFlag: true } => [""],
                { Repeatable: true } => given.GetValueOrDefault<string[]>() ?? [],
                _ => [given.GetValueOrDefault<string>() ?? ""],
            };
            foreach (string value in descriptor.IsFlag ? [] : list)
            {
                if (descriptor.Validate?.Invoke(value) is { } problem)
                {
                    throw new UsageException($"{descriptor.Name} '{value}': {problem}");
                }
            }

            values[descriptor.Name] = list;
        }

        return new StageOptionValues(values);
    }
}
