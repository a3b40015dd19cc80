using System.Reflection;
using McMaster.NETCore.Plugins;
using Silo.Abstractions;
using Silo.Native;

namespace Silo;

/// <summary>
/// Finds the stage plugins at run time: every <c>Silo.Stage.*.dll</c> in the <c>stages</c> folder
/// beside silo, in folders named by <c>--stage-path</c> and by <c>SILO_STAGE_PATH</c>
/// (colon-separated), and one level below each. Each plugin gets a load context of its own; the
/// contract and the kernel-call library are shared with the host so that their types unify.
/// A plugin that cannot be used is set aside with the reason, by file name; the rest stay usable.
/// </summary>
internal sealed class StageCatalog
{
    public const string PluginPattern = "Silo.Stage.*.dll";
    public const string PathVariable = "SILO_STAGE_PATH";

    // The assemblies the host's own load context resolves (the framework's and silo's): the
    // runtime's list of trusted platform assemblies. PreferSharedTypes gives a plugin these.
    private static readonly Lazy<HashSet<string>> s_hostAssemblies = new(() =>
        ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(path => Path.GetFileNameWithoutExtension(path))
            .ToHashSet(StringComparer.OrdinalIgnoreCase));

    private StageCatalog(IReadOnlyList<LoadedStage> stages, IReadOnlyList<BrokenPlugin> broken)
    {
        Stages = stages;
        Broken = broken;
    }

    /// <summary>The usable stages, in learning order.</summary>
    public IReadOnlyList<LoadedStage> Stages { get; }

    /// <summary>The plugins that could not be used.</summary>
    public IReadOnlyList<BrokenPlugin> Broken { get; }

    public static StageCatalog FromStages(IEnumerable<IIsolationStage> stages) =>
        new([.. stages.OrderBy(s => s.Lesson).Select(s => new LoadedStage(s, "(built in)"))], []);

    public static IEnumerable<string> SearchFolders(IEnumerable<string> extra)
    {
        yield return Path.Combine(AppContext.BaseDirectory, "stages");
        foreach (string dir in extra)
        {
            yield return dir;
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable(PathVariable);
        foreach (string dir in (fromEnvironment ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            yield return dir;
        }
    }

    public static StageCatalog Load(IEnumerable<string> folders)
    {
        var stages = new List<LoadedStage>();
        var broken = new List<BrokenPlugin>();
        foreach (string file in PluginFiles(folders))
        {
            try
            {
                stages.AddRange(LoadFile(file));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                broken.Add(new BrokenPlugin(file, HostLog.OneLine(e.Message)));
            }
        }

        var duplicates = stages.GroupBy(s => s.Stage.Name).Where(g => g.Count() > 1).ToList();
        foreach (var group in duplicates)
        {
            foreach (LoadedStage extra in group.Skip(1))
            {
                broken.Add(new BrokenPlugin(extra.File, $"stage '{group.Key}' is already provided by {group.First().File}"));
                stages.Remove(extra);
            }
        }

        return new StageCatalog([.. stages.OrderBy(s => s.Stage.Lesson).ThenBy(s => s.Stage.Name)], broken);
    }

    private static IEnumerable<string> PluginFiles(IEnumerable<string> folders)
    {
        var seen = new HashSet<string>();
        foreach (string folder in folders.Where(Directory.Exists))
        {
            var files = Directory.EnumerateFiles(folder, PluginPattern)
                .Concat(Directory.EnumerateDirectories(folder).OrderBy(d => d, StringComparer.Ordinal)
                    .SelectMany(d => Directory.EnumerateFiles(d, PluginPattern)));
            foreach (string file in files.Select(Path.GetFullPath))
            {
                if (seen.Add(file))
                {
                    yield return file;
                }
            }
        }
    }

    private static IEnumerable<LoadedStage> LoadFile(string file)
    {
        // IsLazyLoaded: without it, McMaster loads every assembly that the shared ones reference,
        // transitively, before the plugin: through Tmds.LibC's netstandard facade that is the
        // whole shared framework, about ninety assemblies, on every run. PreferSharedTypes already
        // makes every name the host can resolve come from the host, so loading them on demand
        // changes which assembly a plugin gets in no case: it only stops loading the unused ones.
        var loader = PluginLoader.CreateFromAssemblyFile(
            file, sharedTypes: [typeof(IIsolationStage), typeof(Sys)], config =>
            {
                config.PreferSharedTypes = true;
                config.IsLazyLoaded = true;
            });
        Assembly assembly = loader.LoadDefaultAssembly();
        CheckContractVersion(assembly);
        CheckOwnDependencies(loader, assembly, file);
        var types = assembly.GetTypes()
            .Where(t => typeof(IIsolationStage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .ToList();
        if (types.Count == 0)
        {
            throw new InvalidOperationException("it holds no class that implements IIsolationStage");
        }

        return types.Select(t => new LoadedStage(Construct(t), file)).ToList();
    }

    private static IIsolationStage Construct(Type type)
    {
        try
        {
            return (IIsolationStage)Activator.CreateInstance(type)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            string fault = $"{inner.GetType().Name}: {inner.Message}";
            throw new InvalidOperationException($"the constructor of {type.Name} threw {fault}", inner);
        }
    }

    private static void CheckContractVersion(Assembly plugin)
    {
        Version host = typeof(IIsolationStage).Assembly.GetName().Version!;
        AssemblyName? wanted = plugin.GetReferencedAssemblies().FirstOrDefault(a => a.Name == "Silo.Abstractions");
        if (wanted?.Version is { } version && version.Major != host.Major)
        {
            throw new InvalidOperationException(
                $"it was built for stage contract {version.Major}, this silo has contract {host.Major}; rebuild it against this silo");
        }
    }

    /// <summary>
    /// Loads, now, every assembly the plugin needs that neither the framework nor silo provides
    /// (its own helper libraries, and theirs), so that a missing one sets the plugin aside by
    /// file name. The runtime would otherwise load each only at first use, in the middle of a
    /// run, and every stage in the catalog would look usable until then. The stages shipped with
    /// silo have no such dependency, so this loads nothing for them.
    /// </summary>
    private static void CheckOwnDependencies(PluginLoader loader, Assembly plugin, string file)
    {
        var pending = new Queue<Assembly>([plugin]);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (pending.TryDequeue(out Assembly? assembly))
        {
            foreach (AssemblyName reference in assembly.GetReferencedAssemblies())
            {
                string? name = reference.Name;
                if (name is null || s_hostAssemblies.Value.Contains(name) || !seen.Add(name))
                {
                    continue;
                }

                try
                {
                    pending.Enqueue(loader.LoadAssembly(reference));
                }
                catch (FileNotFoundException)
                {
                    string folder = Path.GetDirectoryName(file)!;
                    throw new InvalidOperationException(
                        $"it needs {name}.dll (version {reference.Version}), which is neither " +
                        $"in {folder} nor part of this silo; copy {name}.dll there, or publish " +
                        "the plugin with its dependencies");
                }
            }
        }
    }
}
