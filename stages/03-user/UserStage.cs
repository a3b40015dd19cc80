using System.Diagnostics;
using System.Globalization;
using Silo.Abstractions;
using Silo.Native;

namespace Silo.Stage.User;

/// <summary>
/// The user namespace: user and group ids, and capabilities, of the sandbox's own. Root inside
/// holds every capability over the namespaces it owns, and none over the host, because its uid
/// maps to an unprivileged one outside. With this stage, every other stage works for an ordinary
/// user.
/// </summary>
public sealed class UserStage : IIsolationStage
{
    private const string MaxUserNamespaces = "/proc/sys/user/max_user_namespaces";

    private static readonly string[] s_modes = ["auto", "single", "range"];

    private static readonly StageOption s_mode = new("--userns", "How ids are mapped: single (your own id only), range (your subordinate range, through newuidmap), auto (range where one is set up)")
    {
        ValueName = "MODE",
        Validate = v => s_modes.Contains(v) ? null : $"the mode is one of {string.Join(", ", s_modes)}",
    };

    private static readonly StageOption s_uid = new("--uid", "The user id the program runs as inside (default 0)")
    {
        ValueName = "ID",
        Validate = ValidateId,
    };

    private static readonly StageOption s_gid = new("--gid", "The group id the program runs as inside (default 0)")
    {
        ValueName = "ID",
        Validate = ValidateId,
    };

    private static readonly StageOption s_mapHostRoot = new("--map-host-root", "As real root only: map every id to itself, so root inside IS root on the host (gives up the protection this stage exists for)")
    {
        IsFlag = true,
    };

    /// <inheritdoc/>
    public string Name => "user";

    /// <inheritdoc/>
    public string Summary => "user and group ids of the sandbox's own: root inside is nobody outside";

    /// <inheritdoc/>
    public string Isolates => "user and group ids, capabilities";

    /// <inheritdoc/>
    public int Lesson => 3;

    /// <inheritdoc/>
    public CloneFlags CloneFlag => CloneFlags.NewUser;

    /// <inheritdoc/>
    // First: the kernel creates the user namespace before the others in one clone, and it owns
    // them; its maps must be written before any other stage's parent-side work acts for the child.
    public StageOrdering Ordering => StageOrdering.First;

    /// <inheritdoc/>
    public bool GrantsPrivilege => true;

    /// <inheritdoc/>
    public IReadOnlyList<StageOption> Options { get; } = [s_mode, s_uid, s_gid, s_mapHostRoot];

    /// <inheritdoc/>
    public void CheckPrerequisites(StageContext context)
    {
        if (ReadTrimmed(MaxUserNamespaces) == "0")
        {
            throw new StageFailureException(
                "create a user namespace",
                $"{MaxUserNamespaces} is 0: this kernel allows no user namespaces",
                $"raise it as root, for example 'sudo sysctl -w user.max_user_namespaces=15000'");
        }
    }

    /// <inheritdoc/>
    public void Plan(StageContext context)
    {
        IdMap map = ChooseMap(context.Host, context.Options);
        context.Log.Step($"id map: {map.Why}");
        context.Target.Uid = MappedId(context.Options, s_uid, map.Uids) ?? context.Target.Uid;
        context.Target.Gid = MappedId(context.Options, s_gid, map.Gids) ?? context.Target.Gid;
    }

    // The id asked for with --uid or --gid, which must exist inside: an unmapped id cannot be
    // taken (setresuid fails with EINVAL), so it is refused before anything is cloned.
    private static int? MappedId(StageOptionValues options, StageOption option, IReadOnlyList<IdRange> map)
    {
        if (options.Get(option) is not { } text)
        {
            return null;
        }

        long id = long.Parse(text);
        if (!map.Any(r => id >= r.Inside && id < r.Inside + r.Count))
        {
            throw new StageUsageException($"{option.Name} {id} is not mapped inside (map: {string.Join(", ", map)}); " +
                                          "with --userns single only 0 exists inside: use --userns range");
        }

        return (int)id;
    }

    /// <inheritdoc/>
    // Runs after the clone, while the child waits: it cannot write its own maps (a process in a
    // new user namespace has no capability in the parent one), so the host writes them. The
    // child then becomes uid 0 of the namespace and only then execs silo-init, which therefore
    // keeps the capabilities the clone gave it.
    public void SetUpParent(ParentContext context)
    {
        IdMap map = ChooseMap(context.Host, context.Options);
        int pid = context.ChildPid;
        if (map.Writer == MapWriter.Helpers)
        {
            RunHelper(context, "newuidmap", pid, map.Uids);
            RunHelper(context, "newgidmap", pid, map.Gids);
            return;
        }

        // An unprivileged process may write a gid map only after denying setgroups: otherwise
        // root inside could drop a supplementary group that a file on the host denies access to.
        if (map.DenySetgroups)
        {
            Write(context, $"/proc/{pid}/setgroups", "deny\n", "deny setgroups");
        }

        Write(context, $"/proc/{pid}/uid_map", IdMap.Text(map.Uids), "write uid_map");
        Write(context, $"/proc/{pid}/gid_map", IdMap.Text(map.Gids), "write gid_map");
    }

    private static IdMap ChooseMap(HostFacts host, StageOptionValues options)
    {
        var system = new IdMapPlanner.SystemIds(
            SubordinateIds.Read("/etc/subuid"),
            SubordinateIds.Read("/etc/subgid"),
            File.Exists("/usr/bin/newuidmap") && File.Exists("/usr/bin/newgidmap"),
            InInitialUserNamespace: IsInitialMap(ReadTrimmed("/proc/self/uid_map")));
        return IdMapPlanner.Choose(host, options.Get(s_mode) ?? "auto", options.IsSet(s_mapHostRoot), system);
    }

    private static void Write(ParentContext context, string path, string text, string step)
    {
        context.Log.Step($"{step}: write(\"{path}\", \"{text.TrimEnd().Replace("\n", "\\n")}\")");
        try
        {
            Sys.WriteFile(path, text);
        }
        catch (SyscallException e)
        {
            throw new StageFailureException(step, $"{e.Message} writing \"{text.TrimEnd()}\"", "check that the ids are yours, or use --userns range with a subordinate range");
        }
    }

    private static void RunHelper(ParentContext context, string helper, int pid, IReadOnlyList<IdRange> ranges)
    {
        string[] args = [pid.ToString(), .. ranges.SelectMany(r => new[] { r.Inside.ToString(), r.Outside.ToString(), r.Count.ToString() })];
        context.Log.Step($"map ids with the setuid helper: {helper} {string.Join(' ', args)}");
        var start = new ProcessStartInfo($"/usr/bin/{helper}") { RedirectStandardError = true, RedirectStandardOutput = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd().Trim();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new StageFailureException(
                $"map ids with {helper}",
                $"{helper} {string.Join(' ', args)} exited with {process.ExitCode}: {error}",
                "check the ranges in /etc/subuid and /etc/subgid, or use --userns single");
        }
    }

    // The kernel takes ids up to 4294967294, but the plan carries them as int, where -1 means
    // "keep the id": an id above int.MaxValue would wrap to a negative number and leave the
    // program running as root inside. So the range stops there, as for most Linux tools.
    private static string? ValidateId(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            ? null
            : "an id is a whole number from 0 to 2147483647";

    // The initial user namespace maps every id to itself: "0 0 4294967295". Any other map means
    // that silo runs inside a user namespace of someone else's making.
    private static bool IsInitialMap(string? uidMap) =>
        uidMap is null || string.Join(' ', uidMap.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries)) == "0 0 4294967295";

    private static string? ReadTrimmed(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
