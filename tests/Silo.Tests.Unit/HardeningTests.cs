using Silo.Abstractions;
using Silo.Native;
using Silo.Stage.Caps;
using Silo.Stage.Limits;
using Silo.Stage.Seccomp;

namespace Silo.Tests.Unit;

public sealed class HardeningTests
{
    private const ulong DefaultSet = 0xa80425fb;

    private sealed class NullLog : IStageLog
    {
        public void Step(string text)
        {
        }

        public void Warn(string text)
        {
        }
    }

    [Fact]
    public void CapabilitySet_NoOptions_IsDockersDefault()
    {
        Assert.Equal(DefaultSet, CapabilitySet.Compute([], [], 40));
    }

    [Fact]
    public void CapabilitySet_AddAllDropOne_KeepsEveryOtherCapability()
    {
        Assert.Equal((1UL << 41) - 1 - (1UL << 21), CapabilitySet.Compute(["ALL"], ["cap_sys_admin"], 40));
    }

    [Fact]
    public void CapabilitySet_CommaListsAndPrefixes_AreOneSet()
    {
        Assert.Equal(1UL << 12 | 1UL << 25, CapabilitySet.Compute(["CAP_NET_ADMIN,sys_time"], ["ALL"], 40));
    }

    [Fact]
    public void CapabilitySet_SameNameAddedAndDropped_IsAUsageError()
    {
        var e = Assert.Throws<StageUsageException>(() => CapabilitySet.Compute(["NET_ADMIN"], ["CAP_NET_ADMIN"], 40));
        Assert.Contains("both name NET_ADMIN", e.Message);
    }

    [Fact]
    public void CapabilitySet_CapabilityBeyondTheKernel_IsAUsageError()
    {
        var e = Assert.Throws<StageUsageException>(() => CapabilitySet.Compute(["CHECKPOINT_RESTORE"], [], 39));
        Assert.Contains("up to number 39", e.Message);
    }

    [Theory]
    [InlineData("nofile=64", 64UL, 64UL)]
    [InlineData("NPROC=10:20", 10UL, 20UL)]
    [InlineData("core=0:unlimited", 0UL, ulong.MaxValue)]
    [InlineData("stack=-1", ulong.MaxValue, ulong.MaxValue)]
    public void ResourceLimit_Parses(string text, ulong soft, ulong hard)
    {
        Assert.True(ResourceLimit.TryParse(text, out ResourceLimit? limit, out _));
        Assert.Equal(soft, limit.Soft);
        Assert.Equal(hard, limit.Hard);
    }

    [Theory]
    [InlineData("files=64")]
    [InlineData("nofile=")]
    [InlineData("nofile=1:2:3")]
    [InlineData("nofile=-5")]
    public void ResourceLimit_RefusesMalformed(string text)
    {
        Assert.False(ResourceLimit.TryParse(text, out _, out string? problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    // The personality rules must deny exactly the 32-bit values outside the safe list: checked
    // here by evaluating the masked comparisons the way the filter does.
    [Theory]
    [InlineData(0x0UL, false)]
    [InlineData(0x8UL, false)]
    [InlineData(0x20000UL, false)]
    [InlineData(0x20008UL, false)]
    [InlineData(0xffffffffUL, false)]
    [InlineData(0x1_0000_0008UL, false)]
    [InlineData(0x1UL, true)]
    [InlineData(0x40000UL, true)]
    [InlineData(0x20009UL, true)]
    [InlineData(0xfffffffeUL, true)]
    [InlineData(0x0400000UL, true)]
    public void DenyOutside_DeniesExactlyTheOtherValues(ulong value, bool denied)
    {
        var rules = DefaultProfile.DenyOutside("personality", [0x0, 0x8, 0x20000, 0x20008, 0xffffffff], 1, "test").ToList();
        bool matched = rules.Any(r => r.Conditions.All(c => (value & c.Value) == c.ValueTwo));
        Assert.Equal(denied, matched);
    }

    [Fact]
    public void DefaultProfile_EveryNameIsKnownToLibseccomp()
    {
        var unknown = DefaultProfile.Build(allowUserNamespaces: false).Rules
            .SelectMany(r => r.Names).Distinct().Where(n => SeccompFilter.ResolveSyscall(n) is null).ToList();
        Assert.Empty(unknown);
    }

    [Fact]
    public void DefaultProfile_CompilesToBpf()
    {
        byte[] program = DefaultProfile.Build(allowUserNamespaces: false).Compile(new NullLog(), out var unknown);
        Assert.Empty(unknown);
        Assert.Equal(0, program.Length % 8);
        Assert.InRange(program.Length / 8, 10, 4096);
    }

    [Fact]
    public void DockerProfile_ReadsNamesActionsArgsAndArchitectures()
    {
        SeccompProfile profile = DockerProfile.Parse("""
            {
              "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
              "archMap": [ { "architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"] },
                           { "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"] } ],
              "syscalls": [
                { "names": ["read", "write"], "action": "SCMP_ACT_ALLOW" },
                { "names": ["personality"], "action": "SCMP_ACT_ALLOW",
                  "args": [ { "index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ" } ] },
                { "names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": { "caps": ["CAP_SYS_ADMIN"] } },
                { "names": ["s390_pci_mmio_read"], "action": "SCMP_ACT_ALLOW", "includes": { "arches": ["s390x"] } }
              ]
            }
            """, "test.json", new NullLog());
        Assert.Equal(SeccompAction.Errno(38), profile.DefaultAction);
        Assert.Equal(["x86_64", "x86"], profile.Architectures);
        Assert.Equal(2, profile.Rules.Count);
        Assert.Equal(new SeccompCondition(0, SeccompCompare.Equal, 8), Assert.Single(profile.Rules[1].Conditions));
    }

    [Fact]
    public void DockerProfile_UnknownOperator_NamesTheField()
    {
        var e = Assert.Throws<StageUsageException>(() => DockerProfile.Parse("""
            { "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["a"], "action": "SCMP_ACT_ERRNO" },
              { "names": ["b"], "action": "SCMP_ACT_ERRNO", "args": [ { "index": 1, "op": "SCMP_CMP_ABOUT" } ] } ] }
            """, "p.json", new NullLog()));
        Assert.Contains("--seccomp-profile p.json: at $.syscalls[1].args[0].op: unknown comparison 'SCMP_CMP_ABOUT'", e.Message);
    }
}
