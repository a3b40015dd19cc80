using System.Runtime.InteropServices;
using Silo.Abstractions;
using Silo.Native;

namespace Silo.Stage.Seccomp;

/// <summary>
/// One rule of a profile: for each named call, <see cref="Action"/> when every condition holds.
/// </summary>
/// <param name="Names">The system calls, by name.</param>
/// <param name="Action">A <see cref="SeccompAction"/> value.</param>
/// <param name="Conditions">Comparisons of the call's arguments; all must hold.</param>
/// <param name="Where">Where the rule came from, for messages: a JSON path or the default profile's reason.</param>
public sealed record SyscallRule(
    IReadOnlyList<string> Names, uint Action, IReadOnlyList<SeccompCondition> Conditions, string Where);

/// <summary>
/// A seccomp profile, whether silo's default or read from a Docker-format file: what happens to a
/// call no rule matches, the ABIs the filter covers besides the native one, and the rules.
/// </summary>
/// <param name="DefaultAction">A <see cref="SeccompAction"/> value.</param>
/// <param name="Architectures">libseccomp architecture names, for example <c>x86</c>, <c>x32</c>.</param>
/// <param name="Rules">The rules, in the profile's order.</param>
public sealed record SeccompProfile(
    uint DefaultAction, IReadOnlyList<string> Architectures, IReadOnlyList<SyscallRule> Rules)
{
    /// <summary>libseccomp's name for the architecture silo runs on.</summary>
    public static string NativeArchitecture => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Compiles the profile with libseccomp into the classic BPF program the kernel loads. A call
    /// name libseccomp does not know is refused when dropping its rule would let the call through
    /// (a denying rule under an allowing default); otherwise it is collected in
    /// <paramref name="unknown"/>, for a warning, since the call stays under the default action.
    /// </summary>
    public byte[] Compile(IStageLog log, out IReadOnlyList<string> unknown)
    {
        var skipped = new List<string>();
        using var filter = new SeccompFilter(DefaultAction);
        foreach (string arch in Architectures.Where(a => a != NativeArchitecture))
        {
            filter.AddArchitecture(arch);
        }

        foreach (SyscallRule rule in Rules)
        {
            if (rule.Action == DefaultAction)
            {
                // libseccomp refuses such a rule (EACCES): it would change nothing.
                log.Step($"{rule.Where}: same action as the default, nothing to add");
                continue;
            }

            foreach (string name in rule.Names)
            {
                if (SeccompFilter.ResolveSyscall(name) is not int number)
                {
                    if (!Allows(rule.Action) && Allows(DefaultAction))
                    {
                        throw new StageUsageException(
                            $"{rule.Where}: libseccomp {SeccompFilter.LibraryVersion} does not know the system call '{name}', " +
                            "so the filter could not deny it: check the name, or remove it from the profile");
                    }

                    skipped.Add(name);
                    continue;
                }

                try
                {
                    filter.AddRule(rule.Action, number, rule.Conditions);
                }
                catch (SyscallException e)
                {
                    throw new StageUsageException($"{rule.Where}: libseccomp refused the rule for '{name}': {e.Message}" +
                        (e.Errno == 22 ? " (two conditions on one argument, or an argument the call does not have)" : ""));
                }
            }
        }

        unknown = skipped;
        return filter.Export();
    }

    private static bool Allows(uint action) => action is SeccompAction.Allow or SeccompAction.Log;
}
