using System.Text.Json;
using Silo.Abstractions.Plan;

namespace Silo;

/// <summary>
/// The host's side of the JSON between silo and silo-init: it writes the plan and reads the
/// child's reports with <see cref="Utf8JsonWriter"/> and <see cref="Utf8JsonReader"/>, by hand.
/// </summary>
/// <remarks>
/// silo-init reads the plan and writes its reports with the generated
/// <see cref="PlanJsonContext"/>, which suits an ahead-of-time compiled program. In the host, the
/// same generated code costs hundreds of JIT compilations at every start, because ReadyToRun
/// cannot precompile the framework's generic serializers over silo's value types. The few lines
/// here are precompiled like the rest of the host (with them and the plugins ReadyToRun, a run
/// JIT-compiles 163 methods instead of 1024: bench/STARTUP.md). The unit
/// tests hold the two sides together: for a plan with every operation, this writer's bytes must
/// equal the generated serializer's, and this reader must read what silo-init writes.
/// </remarks>
internal static class PlanCodec
{
    /// <summary>The plan as UTF-8 JSON, byte for byte what <see cref="PlanJsonContext"/> writes.</summary>
    public static byte[] Write(ChildPlan plan)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            WriteEnum(json, "CloneFlags", plan.CloneFlags.ToString());
            WriteStrings(json, "Stages", plan.Stages);
            json.WriteStartArray("Steps");
            foreach (PlanStep step in plan.Steps)
            {
                WriteStep(json, step);
            }

            json.WriteEndArray();
            WriteTarget(json, plan.Target);
            json.WriteBoolean("Trace", plan.Trace);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads one line of the report channel.</summary>
    /// <exception cref="JsonException">The line is not a report.</exception>
    public static Report ReadReport(string line)
    {
        var json = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(line));
        Expect(ref json, JsonTokenType.StartObject);
        ReportKind? kind = null;
        int? step = null, errno = null, pid = null, code = null, signal = null;
        string? call = null, text = null;
        double? at = null;
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            string name = json.GetString()!;
            json.Read();
            if (json.TokenType == JsonTokenType.Null)
            {
                continue;
            }

            switch (name)
            {
                case "Kind": kind = Enum.Parse<ReportKind>(json.GetString()!); break;
                case "Step": step = json.GetInt32(); break;
                case "Call": call = json.GetString(); break;
                case "Errno": errno = json.GetInt32(); break;
                case "Text": text = json.GetString(); break;
                case "Pid": pid = json.GetInt32(); break;
                case "Code": code = json.GetInt32(); break;
                case "Signal": signal = json.GetInt32(); break;
                case "At": at = json.GetDouble(); break;
                default: json.Skip(); break;
            }
        }

        return new Report(kind ?? throw new JsonException("a report without \"Kind\""))
        {
            Step = step, Call = call, Errno = errno, Text = text, Pid = pid, Code = code, Signal = signal, At = at,
        };
    }

    private static void WriteStep(Utf8JsonWriter json, PlanStep step)
    {
        json.WriteStartObject();
        json.WriteString("Stage", step.Stage);
        json.WriteString("Description", step.Description);
        json.WritePropertyName("Operation");
        WriteOperation(json, step.Operation);
        WriteEnum(json, "Phase", step.Phase.ToString());
        WriteOptional(json, "Hint", step.Hint);
        json.WriteEndObject();
    }

    // One case per operation, its properties in declaration order: the order the generated
    // serializer uses, after the "op" discriminator named by Operation's attributes.
    private static void WriteOperation(Utf8JsonWriter json, Operation operation)
    {
        json.WriteStartObject();
        switch (operation)
        {
            case SetHostname o:
                json.WriteString("op", "sethostname");
                json.WriteString("Name", o.Name);
                break;
            case SetDomainName o:
                json.WriteString("op", "setdomainname");
                json.WriteString("Name", o.Name);
                break;
            case Mount o:
                json.WriteString("op", "mount");
                WriteOptional(json, "Source", o.Source);
                json.WriteString("Target", o.Target);
                WriteOptional(json, "FileSystemType", o.FileSystemType);
                json.WriteNumber("Flags", o.Flags);
                WriteOptional(json, "Data", o.Data);
                WriteOptional(json, "InsideRoot", o.InsideRoot);
                break;
            case Unmount o:
                json.WriteString("op", "umount");
                json.WriteString("Target", o.Target);
                json.WriteBoolean("Detach", o.Detach);
                break;
            case MakeMountReadOnly o:
                json.WriteString("op", "mount_setattr");
                json.WriteString("Target", o.Target);
                json.WriteBoolean("Recursive", o.Recursive);
                WriteOptional(json, "InsideRoot", o.InsideRoot);
                break;
            case MakeDirectory o:
                json.WriteString("op", "mkdir");
                json.WriteString("Path", o.Path);
                json.WriteNumber("Mode", o.Mode);
                break;
            case CreateFile o:
                json.WriteString("op", "create");
                json.WriteString("Path", o.Path);
                json.WriteNumber("Mode", o.Mode);
                break;
            case WriteFile o:
                json.WriteString("op", "write");
                json.WriteString("Path", o.Path);
                json.WriteString("Content", o.Content);
                break;
            case Symlink o:
                json.WriteString("op", "symlink");
                json.WriteString("Target", o.Target);
                json.WriteString("LinkPath", o.LinkPath);
                break;
            case PivotRoot o:
                json.WriteString("op", "pivot_root");
                json.WriteString("NewRoot", o.NewRoot);
                json.WriteString("PutOld", o.PutOld);
                break;
            case ChangeDirectory o:
                json.WriteString("op", "chdir");
                json.WriteString("Path", o.Path);
                break;
            case RemoveDirectory o:
                json.WriteString("op", "rmdir");
                json.WriteString("Path", o.Path);
                break;
            case LinkUp o:
                json.WriteString("op", "link-up");
                json.WriteString("Interface", o.Interface);
                break;
            case SetResourceLimit o:
                json.WriteString("op", "prlimit");
                json.WriteString("Resource", o.Resource);
                json.WriteNumber("Soft", o.Soft);
                json.WriteNumber("Hard", o.Hard);
                break;
            case SetNoNewPrivileges:
                json.WriteString("op", "no_new_privs");
                break;
            case LimitCapabilities o:
                json.WriteString("op", "capabilities");
                json.WriteNumber("Keep", o.Keep);
                break;
            case LoadSeccompFilter o:
                json.WriteString("op", "seccomp");
                json.WriteBase64String("Program", o.Program);
                break;
            case RequireFileSystem o:
                json.WriteString("op", "statfs");
                json.WriteString("Path", o.Path);
                json.WriteString("FileSystem", o.FileSystem);
                json.WriteNumber("Magic", o.Magic);
                break;
            default:
                throw new NotSupportedException(
                    $"host: no JSON form for the plan operation {operation.GetType().Name}; add it to PlanCodec");
        }

        json.WriteEndObject();
    }

    private static void WriteTarget(Utf8JsonWriter json, TargetSpec target)
    {
        json.WriteStartObject("Target");
        WriteStrings(json, "Argv", target.Argv);
        WriteStrings(json, "Environment", target.Environment);
        json.WriteString("WorkingDirectory", target.WorkingDirectory);
        WriteOptional(json, "Root", target.Root);
        WriteOptional(json, "Uid", target.Uid);
        WriteOptional(json, "Gid", target.Gid);
        WriteOptional(json, "Terminal", target.Terminal);
        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, List<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    // An enum is written by name, as the generated context's string-enum converter does: a
    // combination of flags as "A, B", and a value with no name as its number.
    private static void WriteEnum(Utf8JsonWriter json, string name, string formatted)
    {
        if (formatted.Length > 0 && (char.IsAsciiDigit(formatted[0]) || formatted[0] == '-'))
        {
            json.WritePropertyName(name);
            json.WriteRawValue(formatted);
        }
        else
        {
            json.WriteString(name, formatted);
        }
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, int? value)
    {
        if (value is int number)
        {
            json.WriteNumber(name, number);
        }
    }

    private static void Expect(ref Utf8JsonReader json, JsonTokenType type)
    {
        if (!json.Read() || json.TokenType != type)
        {
            throw new JsonException($"expected {type} at byte {json.TokenStartIndex}");
        }
    }
}
