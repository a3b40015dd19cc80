using Silo.Native;

namespace Silo.Stage.Seccomp;

/// <summary>
/// silo's default profile: every call is allowed except those below, which fail with EPERM. The
/// list follows what mature runtimes refuse a container by default (Docker's and Podman's
/// profiles), grouped by why. It is a deny list: short enough to read in one sitting, and it
/// never breaks a program that uses a new, harmless call. Docker's profile is an allow list,
/// stricter: load it with <c>--seccomp-profile</c> to get that.
/// </summary>
public static class DefaultProfile
{
    private const int EPERM = 1;
    private const int ENOSYS = 38;

    // The namespace flags of clone(2) and unshare(2). CLONE_NEWTIME (0x80) only in unshare: in
    // clone that bit belongs to the exit signal.
    private const ulong CLONE_NEWNS = 0x00020000;
    private const ulong CLONE_NEWCGROUP = 0x02000000;
    private const ulong CLONE_NEWUTS = 0x04000000;
    private const ulong CLONE_NEWIPC = 0x08000000;
    private const ulong CLONE_NEWUSER = 0x10000000;
    private const ulong CLONE_NEWPID = 0x20000000;
    private const ulong CLONE_NEWNET = 0x40000000;
    private const ulong CLONE_NEWTIME = 0x00000080;

    private static readonly ulong[] s_cloneNamespaces =
        [CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET];

    // personality(2) values that change nothing dangerous: Linux, 32-bit Linux (PER_LINUX32),
    // the uname-2.6 compatibility flag and both together, and 0xffffffff, which only asks.
    private static readonly ulong[] s_safePersonalities = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

    private static readonly (string Why, string[] Names)[] s_denied =
    [
        ("the kernel keyring is not namespaced: keys of the host's users could be reached",
            ["keyctl", "add_key", "request_key"]),
        ("programs loaded into the kernel and kernel performance counters widen the attack surface",
            ["bpf", "perf_event_open"]),
        ("userfaultfd lets a program stall the kernel mid-copy, a common exploit aid",
            ["userfaultfd"]),
        ("io_uring is a second system call interface, and a frequent source of kernel bugs",
            ["io_uring_setup", "io_uring_enter", "io_uring_register"]),
        ("loading kernels and modules changes the host's kernel",
            ["kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "create_module"]),
        ("the machine's power, swap, process accounting, clock and quotas belong to the host",
            ["reboot", "swapon", "swapoff", "acct", "settimeofday", "clock_settime", "stime", "quotactl", "quotactl_fd"]),
        ("raw hardware access, the kernel log and the terminal hang-up belong to the host",
            ["iopl", "ioperm", "syslog", "vhangup"]),
        ("file handles open any file of a mount by number, past the directories that guard it",
            ["open_by_handle_at", "name_to_handle_at"]),
        ("set-up is done before the filter loads: no more mounts or root changes inside",
            ["mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr"]),
        ("fanotify and lookup_dcookie watch or name files across the whole system",
            ["fanotify_init", "lookup_dcookie"]),
        ("obsolete calls no current program needs",
            ["_sysctl", "uselib", "ustat", "sysfs", "nfsservctl", "vm86", "vm86old", "get_kernel_syms", "query_module",
             "afs_syscall", "getpmsg", "putpmsg", "security", "tuxcall", "vserver", "bdflush"]),
    ];

    /// <summary>
    /// The ABIs the filter covers besides the native one: a 64-bit x86 process can also make
    /// 32-bit (int 0x80) and x32 calls, an arm64 one 32-bit arm calls. Without them such a call
    /// would hit libseccomp's bad-architecture action and kill the process.
    /// </summary>
    public static IReadOnlyList<string> Architectures => SeccompProfile.NativeArchitecture switch
    {
        "x86_64" => ["x86_64", "x86", "x32"],
        "aarch64" => ["aarch64", "arm"],
        var native => [native],
    };

    /// <summary>
    /// The default profile; <paramref name="allowUserNamespaces"/> leaves the namespace calls to
    /// the kernel's own checks.
    /// </summary>
    public static SeccompProfile Build(bool allowUserNamespaces)
    {
        uint deny = SeccompAction.Errno(EPERM);
        var rules = s_denied.Select(g => new SyscallRule(g.Names, deny, [], $"default profile ({g.Why})")).ToList();
        if (!allowUserNamespaces)
        {
            rules.AddRange(NamespaceRules(deny));
        }

        string why = "default profile (personality flags that weaken address-space randomization or protection)";
        rules.AddRange(DenyOutside("personality", s_safePersonalities, deny, why));
        return new SeccompProfile(SeccompAction.Allow, Architectures, rules);
    }

    // No new namespaces and no joining others: a new user namespace would give the program
    // every capability again, over namespaces it makes itself, and the kernel code behind that
    // is a frequent source of exploits. A rule can test one argument once, so each flag gets its
    // own rule: "deny when this bit is set".
    private static IEnumerable<SyscallRule> NamespaceRules(uint deny)
    {
        const string Why = "default profile (no nested namespaces: allow them with --allow-userns)";
        foreach (ulong flag in s_cloneNamespaces)
        {
            yield return new SyscallRule(["clone"], deny, [new(0, SeccompCompare.MaskedEqual, flag, flag)], Why);
        }

        foreach (ulong flag in s_cloneNamespaces.Append(CLONE_NEWTIME))
        {
            yield return new SyscallRule(["unshare"], deny, [new(0, SeccompCompare.MaskedEqual, flag, flag)], Why);
        }

        yield return new SyscallRule(["setns"], deny, [], Why);

        // clone3 passes its flags in a structure in memory, which a filter cannot read. ENOSYS
        // makes the C library fall back to clone, whose flags the rules above can test.
        yield return new SyscallRule(["clone3"], SeccompAction.Errno(ENOSYS), [],
            "default profile (clone3 hides its flags from the filter: ENOSYS sends libc back to clone)");
    }

    /// <summary>
    /// Rules that deny a call unless its first argument, as the kernel reads it (32 bits), is one
    /// of <paramref name="allowed"/>. A deny list cannot say "not one of these" in one rule, so
    /// the values in between are covered by aligned blocks, each one masked comparison.
    /// </summary>
    public static IEnumerable<SyscallRule> DenyOutside(string name, IReadOnlyList<ulong> allowed, uint deny, string why)
    {
        ulong start = 0;
        foreach (ulong value in allowed.Order().Append(0x1_0000_0000UL))
        {
            foreach (var (block, size) in AlignedBlocks(start, value))
            {
                ulong mask = 0xffff_ffffUL & ~(size - 1);
                yield return new SyscallRule([name], deny, [new(0, SeccompCompare.MaskedEqual, mask, block)], why);
            }

            start = value + 1;
        }
    }

    // Splits [from, to) into the fewest blocks of a power-of-two size aligned on that size.
    private static IEnumerable<(ulong Start, ulong Size)> AlignedBlocks(ulong from, ulong to)
    {
        while (from < to)
        {
            ulong size = from == 0 ? 1UL << 32 : from & (~from + 1);
            while (from + size > to)
            {
                size >>= 1;
            }

            yield return (from, size);
            from += size;
        }
    }
}
