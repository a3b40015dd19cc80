using Silo.Abstractions;
using Silo.Native;
using Silo.Stage.Seccomp;

namespace Silo.Tests.Unit;

public sealed class DockerProfileTests
{
    // tests/fixtures/seccomp/allow-list.json: an allow list in the shape Docker's and Podman's
    // shipped profiles have (archMap, comments, errnoRet, args, includes and excludes with caps,
    // arches and minKernel), written for these tests.
    private static readonly string s_allowList =
        Path.Combine(AppContext.BaseDirectory, "fixtures", "seccomp", "allow-list.json");

    private sealed class RecordingLog : IStageLog
    {
        public List<string> Steps { get; } = [];

        public List<string> Warnings { get; } = [];

        public void Step(string text) => Steps.Add(text);

        public void Warn(string text) => Warnings.Add(text);
    }

    private static SeccompProfile Parse(string json, RecordingLog? log = null) =>
        DockerProfile.Parse(json, "p.json", log ?? new RecordingLog());

    private static string Refusal(string json) =>
        Assert.Throws<StageUsageException>(() => Parse(json)).Message;

    [Fact]
    public void Load_RealisticAllowList_ReadsEveryField()
    {
        var log = new RecordingLog();
        SeccompProfile profile = DockerProfile.Load(s_allowList, log);

        Assert.Equal(SeccompAction.Errno(1), profile.DefaultAction);
        Assert.Equal(DefaultProfile.Architectures, profile.Architectures);
        SyscallRule clone3 = Assert.Single(profile.Rules, r => r.Names.SequenceEqual(["clone3"]));
        Assert.Equal(SeccompAction.Errno(38), clone3.Action);
        SyscallRule clone = Assert.Single(profile.Rules, r => r.Names.SequenceEqual(["clone"]));
        Assert.Equal(
            new SeccompCondition(0, SeccompCompare.MaskedEqual, 0x7e020000, 0), Assert.Single(clone.Conditions));
        Assert.Equal(5, profile.Rules.Count(r => r.Names.SequenceEqual(["personality"])));
        Assert.Contains(profile.Rules, r => r.Names.Contains("ptrace"));
        Assert.DoesNotContain(profile.Rules, r => r.Names.Intersect(["mount", "chroot"]).Any());
        Assert.Contains(log.Steps, s => s.EndsWith(": left out, it applies only with CAP_SYS_ADMIN"));
        Assert.Contains(log.Steps, s => s.EndsWith(": kept, it is left out only with CAP_SYS_ADMIN"));
        Assert.Empty(log.Warnings);
    }

    [Fact]
    public void Load_RealisticAllowList_CompilesWithEveryNameKnown()
    {
        SeccompProfile profile = DockerProfile.Load(s_allowList, new RecordingLog());
        byte[] program = profile.Compile(new RecordingLog(), out var unknown);
        Assert.Empty(unknown);
        Assert.InRange(program.Length / 8, 100, 4096);
    }

    [Theory]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscall":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}""",
        "line 1, at $.syscall: unknown field 'syscall'", "syscalls")]
    [InlineData("{ \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [ { \"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\",\n    \"arg\": [ { \"index\": 1, \"value\": 2, \"op\": \"SCMP_CMP_EQ\" } ] } ] }",
        "line 3, at $.syscalls[0].arg: unknown field 'arg'", "names, name, action, errnoRet, args, includes, excludes, comment")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ","valuetow":2}]}]}""",
        "line 1, at $.syscalls[0].args[0].valuetow: unknown field 'valuetow'", "index, value, valueTwo, op")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO","excludes":{"capabilities":["CAP_SYS_ADMIN"]}}]}""",
        "line 1, at $.syscalls[0].excludes.capabilities: unknown field 'capabilities'", "caps, arches, minKernel")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArches":[]}]}""",
        "line 1, at $.archMap[0].subArches: unknown field 'subArches'", "architecture, subArchitectures")]
    [InlineData("""{"defaultAction":"SCMP_ACT_ALLOW","odd name":1}""",
        "line 1, at $['odd name']: unknown field 'odd name'", "listenerPath, listenerMetadata")]
    public void Parse_UnknownField_IsRefusedByName(string json, string message, string fields)
    {
        string refusal = Refusal(json);
        Assert.StartsWith(
            $"--seccomp-profile p.json: {message} (check its spelling): the fields here are ", refusal);
        Assert.Contains(fields, refusal);
    }

    [Fact]
    public void Parse_WrongTypeOfAKnownField_KeepsTheSerializersReason()
    {
        string refusal = Refusal("""{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":"mkdir","action":"SCMP_ACT_ERRNO"}]}""");
        Assert.StartsWith("--seccomp-profile p.json: line 1, at $.syscalls[0].names: The JSON value could not be converted", refusal);
    }

    [Fact]
    public void Parse_FieldNames_MatchWithoutRegardToCase()
    {
        SeccompProfile profile = Parse("""
            { "DefaultAction": "SCMP_ACT_ALLOW", "SYSCALLS": [ { "Names": ["mkdir"], "ACTION": "SCMP_ACT_ERRNO",
              "ErrnoRet": 13, "Args": [ { "Index": 1, "VALUE": 2, "valuetwo": 0, "Op": "SCMP_CMP_EQ" } ] } ] }
            """);
        SyscallRule rule = Assert.Single(profile.Rules);
        Assert.Equal(SeccompAction.Errno(13), rule.Action);
        Assert.Equal(
            new SeccompCondition(1, SeccompCompare.Equal, 2), Assert.Single(rule.Conditions));
    }

    [Fact]
    public void Parse_PodmanShapedRule_WithEmptyConditionsAndComment_Applies()
    {
        SeccompProfile profile = Parse("""
            { "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
              "args": [], "comment": "", "includes": {}, "excludes": {} } ] }
            """);
        Assert.Single(profile.Rules);
    }

    [Fact]
    public void Parse_ExcludesCaps_KeepsTheRule_IncludesCaps_LeavesItOut()
    {
        var log = new RecordingLog();
        SeccompProfile profile = Parse("""
            { "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
              { "names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "excludes": { "caps": ["CAP_SYS_ADMIN"] } },
              { "names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "includes": { "caps": ["CAP_SYS_ADMIN"] } } ] }
            """, log);
        Assert.Equal(["mkdir"], Assert.Single(profile.Rules).Names);
        Assert.Equal(
            [
                "$.syscalls[0]: kept, it is left out only with CAP_SYS_ADMIN",
                "$.syscalls[1]: left out, it applies only with CAP_SYS_ADMIN",
            ],
            log.Steps);
    }

    [Theory]
    [InlineData("includes", "4.8", true)]
    [InlineData("includes", "999.0", false)]
    [InlineData("excludes", "4.8", false)]
    [InlineData("excludes", "999.0", true)]
    public void Parse_MinKernel_IncludesFromAndExcludesFromThatVersion(
        string section, string version, bool kept)
    {
        SeccompProfile profile = Parse($$"""
            { "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
              { "names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "{{section}}": { "minKernel": "{{version}}" } } ] }
            """);
        Assert.Equal(kept ? 1 : 0, profile.Rules.Count);
    }

    [Fact]
    public void Parse_FilterFlags_KnownAreReported_UnknownIsRefused()
    {
        var log = new RecordingLog();
        Parse("""{ "defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"], "listenerPath": "", "listenerMetadata": "" }""", log);
        Assert.Contains("SECCOMP_FILTER_FLAG_LOG not applied", Assert.Single(log.Warnings));

        string refusal = Refusal("""{ "defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_FAST"] }""");
        Assert.StartsWith("--seccomp-profile p.json: at $.flags[1]: unknown filter flag 'SECCOMP_FILTER_FLAG_FAST'", refusal);
    }
}
