using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Silo.Abstractions;
using Silo.Native;

namespace Silo.Stage.Seccomp;

/// <summary>
/// Reads a seccomp profile in the JSON format of Docker and Podman (<c>defaultAction</c>,
/// <c>architectures</c> or <c>archMap</c>, <c>syscalls</c> with <c>names</c>, <c>action</c>,
/// <c>args</c>, <c>errnoRet</c>, <c>includes</c>/<c>excludes</c>), so that existing profiles work
/// as they are. Any mistake is a usage error naming the file and the field at fault.
/// </summary>
/// <remarks>
/// Field names match without regard to case, as Docker's Go decoder matches them. Unlike that
/// decoder, a field silo does not know is an error: a misspelled <c>syscalls</c> would otherwise
/// leave a profile without rules, and a misspelled <c>args</c> would widen a rule to every call.
/// </remarks>
public static partial class DockerProfile
{
    private const int EPERM = 1;

    // The filter flags of seccomp(2) a profile may name. silo-init loads every filter with TSYNC
    // alone; the others are reported, not applied (see Reader.Flags).
    private static readonly string[] s_filterFlags =
    [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    ];

    /// <summary>Reads and checks a profile file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="log">Where to narrate rules left out because of their conditions.</param>
    public static SeccompProfile Load(string path, IStageLog log)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StageUsageException($"--seccomp-profile {path}: cannot read it: {e.Message}");
        }

        return Parse(text, path, log);
    }

    /// <summary>Parses a profile's text; <paramref name="source"/> names it in messages.</summary>
    public static SeccompProfile Parse(string text, string source, IStageLog log)
    {
        ProfileJson json;
        try
        {
            json = JsonSerializer.Deserialize(text, DockerProfileJson.Default.ProfileJson)
                ?? throw new JsonException("the profile is null");
        }
        catch (JsonException e)
        {
            // The serializer's message ends with its own "Path: ... | LineNumber: ..." suffix;
            // the path and line are given up front instead.
            string what = UnknownField(e.Path)
                ?? e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd();
            string line = e.LineNumber is long n ? $"line {n + 1}, " : "";
            throw new StageUsageException($"--seccomp-profile {source}: {line}at {e.Path ?? "$"}: {what}");
        }

        return new Reader(source, log).Read(json);
    }

    // The serializer stops at the first field that no type below declares, and its path ends
    // with that field: "$.syscalls[0].arg". Following the path through the declared fields
    // leads to the object that holds it, whose fields the message lists. Null when the last
    // field is a declared one: the error is of another kind (a wrong type, a syntax error).
    private static string? UnknownField(string? path)
    {
        JsonTypeInfo? info = DockerProfileJson.Default.ProfileJson;
        MatchCollection segments = PathSegment().Matches(path ?? "");
        for (int i = 0; i < segments.Count && info is not null; i++)
        {
            Group name = segments[i].Groups["name"];
            if (!name.Success)
            {
                info = info.ElementType is { } element
                    ? DockerProfileJson.Default.GetTypeInfo(element)
                    : null;
                continue;
            }

            JsonPropertyInfo? field = info.Properties.FirstOrDefault(
                p => string.Equals(p.Name, name.Value, StringComparison.OrdinalIgnoreCase));
            if (field is null)
            {
                return i < segments.Count - 1 ? null
                    : $"unknown field '{name.Value}' (check its spelling): the fields here are " +
                      string.Join(", ", info.Properties.Select(p => p.Name));
            }

            info = DockerProfileJson.Default.GetTypeInfo(field.PropertyType);
        }

        return null;
    }

    // One step of a path as System.Text.Json writes it: ".name", "['odd name']" or "[3]".
    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\['(?<name>[^']*)'\]|\[\d+\]")]
    private static partial Regex PathSegment();

    private sealed class Reader(string source, IStageLog log)
    {
        private static readonly Dictionary<string, SeccompCompare> s_ops = new()
        {
            ["SCMP_CMP_NE"] = SeccompCompare.NotEqual, ["SCMP_CMP_LT"] = SeccompCompare.Less,
            ["SCMP_CMP_LE"] = SeccompCompare.LessOrEqual, ["SCMP_CMP_EQ"] = SeccompCompare.Equal,
            ["SCMP_CMP_GE"] = SeccompCompare.GreaterOrEqual, ["SCMP_CMP_GT"] = SeccompCompare.Greater,
            ["SCMP_CMP_MASKED_EQ"] = SeccompCompare.MaskedEqual,
        };

        public SeccompProfile Read(ProfileJson json)
        {
            uint defaultAction = Action(json.DefaultAction, json.DefaultErrnoRet, "$.defaultAction");
            Flags(json.Flags);
            if (!string.IsNullOrEmpty(json.ListenerPath))
            {
                // Only SCMP_ACT_NOTIFY rules talk to a listener, and they are refused below.
                log.Step($"$.listenerPath {json.ListenerPath}: not used, no rule may notify a listener");
            }

            var rules = new List<SyscallRule>();
            var syscalls = json.Syscalls ?? [];
            for (int i = 0; i < syscalls.Count; i++)
            {
                if (Rule(syscalls[i], $"$.syscalls[{i}]") is { } rule)
                {
                    rules.Add(rule);
                }
            }

            return new SeccompProfile(defaultAction, Architectures(json), rules);
        }

        // TSYNC is what silo-init loads every filter with anyway. LOG (log every action but
        // allow) and SPEC_ALLOW (turn the speculative-store-bypass mitigation off) would need
        // the plan to carry flags; WAIT_KILLABLE_RECV only concerns a notifying filter.
        private void Flags(List<string>? flags)
        {
            var ignored = new List<string>();
            for (int i = 0; i < (flags?.Count ?? 0); i++)
            {
                if (!s_filterFlags.Contains(flags![i]))
                {
                    throw Fault($"$.flags[{i}]", $"unknown filter flag '{flags[i]}': one of {string.Join(", ", s_filterFlags)}");
                }

                if (flags[i] != s_filterFlags[0])
                {
                    ignored.Add(flags[i]);
                }
            }

            if (ignored.Count > 0)
            {
                // Known limitation: filter flags other than TSYNC are not applied. Fix: carry
                // the flags in LoadSeccompFilter and pass them to seccomp(2) in silo-init.
                log.Warn($"--seccomp-profile {source}: $.flags {string.Join(", ", ignored.Distinct())} not applied: silo loads every filter with SECCOMP_FILTER_FLAG_TSYNC only");
            }
        }

        // "architectures" lists every ABI; "archMap" maps each machine to its companions, and
        // only the entry of the machine silo runs on counts.
        private List<string> Architectures(ProfileJson json)
        {
            var names = new List<string> { SeccompProfile.NativeArchitecture };
            for (int i = 0; i < (json.Architectures?.Count ?? 0); i++)
            {
                names.Add(Architecture(json.Architectures![i], $"$.architectures[{i}]"));
            }

            for (int i = 0; i < (json.ArchMap?.Count ?? 0); i++)
            {
                ArchMapJson entry = json.ArchMap![i];
                string machine = Architecture(entry.Architecture, $"$.archMap[{i}].architecture");
                if (machine == SeccompProfile.NativeArchitecture)
                {
                    var subs = entry.SubArchitectures ?? [];
                    names.AddRange(subs.Select((s, j) => Architecture(s, $"$.archMap[{i}].subArchitectures[{j}]")));
                }
            }

            return names.Distinct().ToList();
        }

        private string Architecture(string? name, string where)
        {
            string bare = (name ?? "").StartsWith("SCMP_ARCH_", StringComparison.Ordinal)
                ? name![10..].ToLowerInvariant()
                : "";
            return bare.Length > 0 && SeccompFilter.IsArchitecture(bare)
                ? bare
                : throw Fault(where, $"unknown architecture '{name}': write SCMP_ARCH_ and libseccomp's name, for example SCMP_ARCH_X86_64");
        }

        private SyscallRule? Rule(SyscallJson json, string where)
        {
            var names = json.Names ?? (json.Name is null ? null : [json.Name]);
            if (names is null || names.Count == 0 || names.Any(string.IsNullOrWhiteSpace))
            {
                throw Fault($"{where}.names", "a rule names one or more system calls: \"names\": [\"mkdir\"]");
            }

            uint action = Action(json.Action, json.ErrnoRet, $"{where}.action");
            var conditions = (json.Args ?? []).Select((a, j) => Condition(a, $"{where}.args[{j}]")).ToList();
            if (!Applies(json, where))
            {
                return null;
            }

            return new SyscallRule(names, action, conditions, $"--seccomp-profile {source}: {where}");
        }

        // Docker conditions a rule on the machine, the kernel version and the capabilities the
        // container holds. The first two are known here; the capabilities are the caps stage's
        // business, so silo assumes the program holds none of those a rule names: a rule that
        // needs one (includes.caps) is left out, a rule that one would lift (excludes.caps) is
        // kept. In the profiles Docker and Podman ship that is the stricter reading both ways:
        // includes.caps rules allow more, excludes.caps rules deny what a holder may do.
        private bool Applies(SyscallJson json, string where)
        {
            string arch = DockerArchitecture();
            if (json.Includes?.Arches is { Count: > 0 } inArches && !inArches.Contains(arch))
            {
                return false;
            }

            if (json.Excludes?.Arches is { } outArches && outArches.Contains(arch))
            {
                return false;
            }

            if (json.Includes?.MinKernel is { } minKernel &&
                !KernelAtLeast(minKernel, $"{where}.includes.minKernel"))
            {
                return false;
            }

            if (json.Excludes?.MinKernel is { } maxKernel &&
                KernelAtLeast(maxKernel, $"{where}.excludes.minKernel"))
            {
                return false;
            }

            // Known limitation: a rule conditioned on a capability is read as if the program held
            // none, even when --cap-add grants it or the caps stage is off. Fix: let the caps
            // stage publish the set it keeps to the other stages through the plan context.
            if (json.Includes?.Caps is { Count: > 0 } caps)
            {
                log.Step($"{where}: left out, it applies only with {string.Join(", ", caps)}");
                return false;
            }

            if (json.Excludes?.Caps is { Count: > 0 } lifting)
            {
                log.Step($"{where}: kept, it is left out only with {string.Join(", ", lifting)}");
            }

            return true;
        }

        // Docker compares the kernel's version and release ("5.8" of 5.8.0-63-generic) and
        // ignores the rest, so "5.8.3" is met by any 5.8 kernel.
        private bool KernelAtLeast(string minKernel, string where)
        {
            if (!Version.TryParse(minKernel.Split('-')[0], out Version? min))
            {
                throw Fault(where, $"'{minKernel}' is not a kernel version like 5.8");
            }

            Version kernel = Environment.OSVersion.Version;
            return new Version(kernel.Major, kernel.Minor) >= new Version(min.Major, min.Minor);
        }

        private uint Action(string? name, uint? errnoRet, string where) => name switch
        {
            "SCMP_ACT_ALLOW" => SeccompAction.Allow,
            "SCMP_ACT_ERRNO" => SeccompAction.Errno((int)(errnoRet ?? EPERM)),
            "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => SeccompAction.KillThread,
            "SCMP_ACT_KILL_PROCESS" => SeccompAction.KillProcess,
            "SCMP_ACT_TRAP" => SeccompAction.Trap,
            "SCMP_ACT_TRACE" => SeccompAction.Trace((int)(errnoRet ?? 0)),
            "SCMP_ACT_LOG" => SeccompAction.Log,
            null => throw Fault(where, "missing: every profile and rule needs an action, for example SCMP_ACT_ERRNO"),
            "SCMP_ACT_NOTIFY" => throw Fault(where, "SCMP_ACT_NOTIFY needs a supervisor listening, which silo does not run"),
            _ => throw Fault(where, $"unknown action '{name}': SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG"),
        };

        private SeccompCondition Condition(ArgJson arg, string where)
        {
            if (arg.Index > 5)
            {
                throw Fault($"{where}.index", $"{arg.Index} is not an argument number: a system call has arguments 0 to 5");
            }

            if (arg.Op is null || !s_ops.TryGetValue(arg.Op, out SeccompCompare op))
            {
                throw Fault($"{where}.op", $"unknown comparison '{arg.Op}': one of {string.Join(", ", s_ops.Keys)}");
            }

            // For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo what the masked argument
            // must equal: the same order libseccomp takes them in.
            return new SeccompCondition(arg.Index, op, arg.Value, arg.ValueTwo);
        }

        private StageUsageException Fault(string where, string what) =>
            new($"--seccomp-profile {source}: at {where}: {what}");
    }

    private static string DockerArchitecture() => SeccompProfile.NativeArchitecture switch
    {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        var other => other,
    };

    // The fields of moby's and Podman's profile types (and the OCI runtime spec's LinuxSeccomp
    // they embed); no other field is accepted. Declaration order is the order messages list
    // them in.
    internal sealed class ProfileJson
    {
        public string? DefaultAction { get; set; }
        public uint? DefaultErrnoRet { get; set; }
        public List<string>? Architectures { get; set; }
        public List<ArchMapJson>? ArchMap { get; set; }
        public List<SyscallJson>? Syscalls { get; set; }
        public List<string>? Flags { get; set; }
        public string? ListenerPath { get; set; }
        public string? ListenerMetadata { get; set; }
    }

    internal sealed class ArchMapJson
    {
        public string? Architecture { get; set; }
        public List<string>? SubArchitectures { get; set; }
    }

    internal sealed class SyscallJson
    {
        public List<string>? Names { get; set; }
        public string? Name { get; set; }
        public string? Action { get; set; }
        public uint? ErrnoRet { get; set; }
        public List<ArgJson>? Args { get; set; }
        public ConditionJson? Includes { get; set; }
        public ConditionJson? Excludes { get; set; }
        public string? Comment { get; set; }
    }

    internal sealed class ArgJson
    {
        public uint Index { get; set; }
        public ulong Value { get; set; }
        public ulong ValueTwo { get; set; }
        public string? Op { get; set; }
    }

    internal sealed class ConditionJson
    {
        public List<string>? Caps { get; set; }
        public List<string>? Arches { get; set; }
        public string? MinKernel { get; set; }
    }
}

/// <summary>
/// The profile's JSON reader, generated at compile time. silo turns reflection-based JSON off for
/// the whole process (it costs tens of milliseconds of start-up), so a stage that reads JSON
/// brings a generated reader like this one.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(DockerProfile.ProfileJson))]
internal sealed partial class DockerProfileJson : JsonSerializerContext
{
}
