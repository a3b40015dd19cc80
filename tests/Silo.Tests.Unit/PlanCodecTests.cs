using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Silo.Abstractions;
using Silo.Abstractions.Plan;

namespace Silo.Tests.Unit;

/// <summary>
/// The host writes the plan and reads reports by hand (PlanCodec); silo-init uses the generated
/// PlanJsonContext. These tests keep the two in step.
/// </summary>
public sealed class PlanCodecTests
{
    // One of each operation, with optional members both set and unset, and text that the JSON
    // encoder must escape.
    private static readonly Operation[] s_everyOperation =
    [
        new SetHostname("box"), new SetDomainName("example.org"),
        new Mount("overlay", "/usr", "overlay", MountFlags.Bind | MountFlags.Recursive, "lowerdir=/usr,upperdir=/u") { InsideRoot = "/run/root" },
        new Mount(null, "/", null, MountFlags.Private | MountFlags.Recursive, null),
        new Unmount("/old", Detach: true), new MakeMountReadOnly("/proc/sys", Recursive: true) { InsideRoot = "/r" },
        new MakeMountReadOnly("/sys", Recursive: false),
        new MakeDirectory("/run/root", 0x1ed), new CreateFile("/dev/null", 0x1b6),
        new WriteFile("/proc/self/setgroups", "deny \"quoted\" <&> é\n\t\u0001"),
        new Symlink("usr/bin", "/bin"), new PivotRoot("/run/root", "/run/root/old"), new ChangeDirectory("/"),
        new RemoveDirectory("/old"), new LinkUp("lo"), new SetResourceLimit("nofile", 64, ulong.MaxValue),
        new SetNoNewPrivileges(), new LimitCapabilities(0xa80425fb),
        new LoadSeccompFilter([1, 2, 3, 4, 5, 6, 7, 8, 255]),
        new RequireFileSystem("/proc", "proc", 0x9fa0),
    ];

    [Fact]
    public void Write_EveryOperation_IsByteForByteWhatTheGeneratedSerializerWrites()
    {
        var plan = new ChildPlan
        {
            CloneFlags = CloneFlags.NewUser | CloneFlags.NewPid | CloneFlags.NewMount,
            Stages = ["user", "pid", "mount"],
            Steps = [.. s_everyOperation.Select((o, i) => new PlanStep("s" + i, "does \"" + i + "\"", o, i % 2 == 0 ? PlanPhase.Setup : PlanPhase.LockDown) { Hint = i % 3 == 0 ? "try --x" : null })],
            Target = new TargetSpec
            {
                Argv = ["sh", "-c", "echo 'ü' > /tmp/x"], Environment = ["PATH=/usr/bin", "A=<b>"],
                WorkingDirectory = "/work", Root = "the rootfs /srv/a", Uid = 1000, Gid = 100, Terminal = 5,
            },
            Trace = true,
        };

        Assert.Equal(
            JsonSerializer.Serialize(plan, PlanJsonContext.Default.ChildPlan),
            Encoding.UTF8.GetString(PlanCodec.Write(plan)));
    }

    [Fact]
    public void Write_AnEmptyPlan_IsWhatTheGeneratedSerializerWrites()
    {
        var plan = new ChildPlan();

        Assert.Equal(
            JsonSerializer.Serialize(plan, PlanJsonContext.Default.ChildPlan),
            Encoding.UTF8.GetString(PlanCodec.Write(plan)));
    }

    [Fact]
    public void TheSample_HoldsEveryOperationThePlanVocabularyDeclares()
    {
        var declared = typeof(Operation).GetCustomAttributes<JsonDerivedTypeAttribute>().Select(a => a.DerivedType);

        Assert.Empty(declared.Except(s_everyOperation.Select(o => o.GetType())));
    }

    [Theory]
    [InlineData(ReportKind.StepFailed)]
    [InlineData(ReportKind.Exited)]
    public void ReadReport_ReadsWhatSiloInitWrites(ReportKind kind)
    {
        var sent = new Report(kind)
        {
            Step = 3, Call = "mount \"/proc\"", Errno = 1, Text = "ü <x>", Pid = 2, Code = 7, Signal = 9, At = 1.25,
        };

        Report read = PlanCodec.ReadReport(JsonSerializer.Serialize(sent, PlanJsonContext.Default.Report));

        Assert.Equal(sent, read);
    }

    [Fact]
    public void ReadReport_LeavesWhatIsNotSentUnset()
    {
        string sent = JsonSerializer.Serialize(new Report(ReportKind.Started) { Pid = 2 }, PlanJsonContext.Default.Report);

        Report read = PlanCodec.ReadReport(sent);

        Assert.Equal(new Report(ReportKind.Started) { Pid = 2 }, read);
    }

    [Theory]
    [InlineData("{\"Pid\":2}")]
    [InlineData("[1]")]
    [InlineData("{\"Kind\":\"NoSuchKind\"}")]
    public void ReadReport_ALineThatIsNotAReport_Throws(string line)
    {
        Assert.ThrowsAny<Exception>(() => PlanCodec.ReadReport(line));
    }
}
