using System.Text.Json;
using System.Text.Json.Serialization;
using Silo.Abstractions;
using Silo.Native;

namespace Silo.Stage.Seccomp;

/// <summary>
/// Reads a seccomp profile in the JSON format of Docker and Podman (<c>defaultAction</c>,
/// <c>architectures</c> or <c>archMap</c>, <c>syscalls</c> with <c>names</c>, <c>action</c>,
/// <c>args</c>, <c>errnoRet</c>, <c>includes</c>/<c>excludes</c>), so that existing profiles work
/// as they are. Any mistake is a usage error naming the file and the field at fault.
/// </summary>
public static class DockerProfile
{
    private const int EPERM = 1;

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
            string what = e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd();
            string line = e.LineNumber is long n ? $"line {n + 1}, " : "";
            throw new StageUsageException($"--seccomp-profile {source}: {line}at {e.Path ?? "$"}: {what}");
        }

        return new Reader(source, log).Read(json);
    }

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
        // business, so silo assumes the program holds none of those a rule names.
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

            if (json.Includes?.MinKernel is { } minKernel)
            {
                if (!Version.TryParse(minKernel.Split('-')[0], out Version? min))
                {
                    throw Fault($"{where}.includes.minKernel", $"'{minKernel}' is not a kernel version like 5.8");
                }

                if (Environment.OSVersion.Version < min)
                {
                    return false;
                }
            }

            if (json.Includes?.Caps is { Count: > 0 } caps)
            {
                // Known limitation: a rule that applies only when the program holds a capability
                // is left out even when --cap-add grants it. Fix: let the caps stage publish the
                // set it keeps to the other stages through the plan context.
                log.Step($"{where}: left out, it applies only with {string.Join(", ", caps)}");
                return false;
            }

            return true;
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

    internal sealed class ProfileJson
    {
        public string? DefaultAction { get; set; }
        public uint? DefaultErrnoRet { get; set; }
        public List<string>? Architectures { get; set; }
        public List<ArchMapJson>? ArchMap { get; set; }
        public List<SyscallJson>? Syscalls { get; set; }
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
    ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(DockerProfile.ProfileJson))]
internal sealed partial class DockerProfileJson : JsonSerializerContext
{
}
