namespace Silo.Abstractions;

/// <summary>
/// The namespace flags of <c>clone(2)</c>. Each enabled stage contributes one; the host combines
/// them into a single clone, so that every namespace is created at once and owned by the user
/// namespace when there is one.
/// </summary>
[Flags]
public enum CloneFlags : ulong
{
    /// <summary>No namespace: a stage that only restricts the process.</summary>
    None = 0,

    /// <summary><c>CLONE_NEWNS</c>: a copy of the mount table.</summary>
    NewMount = 0x0002_0000,

    /// <summary><c>CLONE_NEWCGROUP</c>: a new cgroup root.</summary>
    NewCgroup = 0x0200_0000,

    /// <summary><c>CLONE_NEWUTS</c>: a hostname and domain name of its own.</summary>
    NewUts = 0x0400_0000,

    /// <summary><c>CLONE_NEWIPC</c>: System V IPC objects and POSIX message queues of its own.</summary>
    NewIpc = 0x0800_0000,

    /// <summary><c>CLONE_NEWUSER</c>: user and group ids and capabilities of its own.</summary>
    NewUser = 0x1000_0000,

    /// <summary><c>CLONE_NEWPID</c>: process ids of its own, starting at 1.</summary>
    NewPid = 0x2000_0000,

    /// <summary><c>CLONE_NEWNET</c>: network devices, addresses, ports and routes of its own.</summary>
    NewNet = 0x4000_0000,
}
