namespace Silo.Abstractions.Plan;

// The primitives, kept together in one file so that a learner sees the whole vocabulary of the
// child side at once. Each is one system call unless its summary says otherwise.

/// <summary><c>sethostname(2)</c>: the name the UTS namespace reports.</summary>
/// <param name="Name">At most 64 bytes.</param>
public sealed record SetHostname(string Name) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"sethostname({Quote(Name)})";
}

/// <summary><c>setdomainname(2)</c>: the NIS domain name the UTS namespace reports.</summary>
/// <param name="Name">At most 64 bytes.</param>
public sealed record SetDomainName(string Name) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"setdomainname({Quote(Name)})";
}

/// <summary><c>mount(2)</c>, with every argument as the kernel takes it.</summary>
/// <param name="Source">The device, directory or file system name; null where none is needed.</param>
/// <param name="Target">The mount point.</param>
/// <param name="FileSystemType">For example <c>proc</c>, <c>tmpfs</c>, <c>overlay</c>; null for a bind or a change of flags.</param>
/// <param name="Flags">The <c>MS_*</c> flags, see <see cref="MountFlags"/>.</param>
/// <param name="Data">File-system specific options, for example <c>mode=755</c>.</param>
public sealed record Mount(string? Source, string Target, string? FileSystemType, ulong Flags, string? Data)
    : Operation
{
    /// <summary>
    /// When set, <see cref="Target"/> is resolved inside this directory as if it were the root,
    /// and a symbolic link can never lead the mount out of it (the class of CVE-2021-30465).
    /// Missing components are created inside it (the last one as an empty file when a file is
    /// bound), and a target that is itself a symbolic link is refused.
    /// </summary>
    public string? InsideRoot { get; init; }

    /// <inheritdoc/>
    public override string Describe() =>
        $"mount({Quote(Source)}, {Quote(InsideRoot is null ? Target : InsideRoot + " :: " + Target)}, " +
        $"{Quote(FileSystemType)}, {MountFlags.Format(Flags)}, {Quote(Data)})";
}

/// <summary><c>umount2(2)</c>.</summary>
/// <param name="Target">The mount point.</param>
/// <param name="Detach">True for <c>MNT_DETACH</c>: lazily, even while it is in use.</param>
public sealed record Unmount(string Target, bool Detach) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"umount2({Quote(Target)}, {(Detach ? "MNT_DETACH" : "0")})";
}

/// <summary>
/// <c>mount_setattr(2)</c> with <c>MOUNT_ATTR_RDONLY</c>: makes an existing mount read-only and
/// changes nothing else. Unlike a remount with <c>MS_REMOUNT|MS_BIND|MS_RDONLY</c>, which replaces
/// every per-mount flag, it keeps the flags that a user namespace locks (nosuid, nodev, noexec,
/// atime), so it works on mounts copied from the host.
/// </summary>
/// <param name="Target">A mount point.</param>
/// <param name="Recursive">True for <c>AT_RECURSIVE</c>: every mount below it too.</param>
public sealed record MakeMountReadOnly(string Target, bool Recursive) : Operation
{
    /// <summary>
    /// When set, <see cref="Target"/> is resolved inside this directory, as for
    /// <see cref="Mount.InsideRoot"/>.
    /// </summary>
    public string? InsideRoot { get; init; }

    /// <inheritdoc/>
    public override string Describe() =>
        $"mount_setattr({Quote(InsideRoot is null ? Target : InsideRoot + " :: " + Target)}, " +
        $"{(Recursive ? "AT_RECURSIVE" : "0")}, {{.attr_set = MOUNT_ATTR_RDONLY}})";
}

/// <summary><c>mkdir(2)</c>, creating missing parents as <c>mkdir -p</c> does.</summary>
/// <param name="Path">The directory.</param>
/// <param name="Mode">The permission bits, for example 0755 (given in decimal in the plan).</param>
public sealed record MakeDirectory(string Path, int Mode) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"mkdir -p {Quote(Path)}, 0{Convert.ToString(Mode, 8)}";
}

/// <summary><c>open(2)</c> with <c>O_CREAT</c>: an empty file, for example to bind a file onto.</summary>
/// <param name="Path">The file.</param>
/// <param name="Mode">The permission bits.</param>
public sealed record CreateFile(string Path, int Mode) : Operation
{
    /// <inheritdoc/>
    public override string Describe() =>
        $"open({Quote(Path)}, O_CREAT|O_WRONLY|O_CLOEXEC, 0{Convert.ToString(Mode, 8)})";
}

/// <summary><c>open(2)</c> and <c>write(2)</c>: writes the whole text to an existing file.</summary>
/// <param name="Path">The file, often under <c>/proc</c>.</param>
/// <param name="Content">The text to write.</param>
public sealed record WriteFile(string Path, string Content) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"write({Quote(Path)}, {Quote(Content)})";
}

/// <summary><c>symlink(2)</c>.</summary>
/// <param name="Target">What the link points to.</param>
/// <param name="LinkPath">The link to create.</param>
public sealed record Symlink(string Target, string LinkPath) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"symlink({Quote(Target)}, {Quote(LinkPath)})";
}

/// <summary>
/// <c>pivot_root(2)</c>: makes <see cref="NewRoot"/> the root of the mount namespace and moves the
/// old root to <see cref="PutOld"/>, then changes directory to the new <c>/</c>.
/// </summary>
/// <param name="NewRoot">A mount point that becomes <c>/</c>.</param>
/// <param name="PutOld">A directory under the new root where the old root goes.</param>
public sealed record PivotRoot(string NewRoot, string PutOld) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"pivot_root({Quote(NewRoot)}, {Quote(PutOld)}); chdir(\"/\")";
}

/// <summary><c>chdir(2)</c>.</summary>
/// <param name="Path">The new working directory.</param>
public sealed record ChangeDirectory(string Path) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"chdir({Quote(Path)})";
}

/// <summary><c>rmdir(2)</c>.</summary>
/// <param name="Path">An empty directory.</param>
public sealed record RemoveDirectory(string Path) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"rmdir({Quote(Path)})";
}

/// <summary>
/// <c>ioctl(SIOCGIFFLAGS)</c> then <c>ioctl(SIOCSIFFLAGS)</c> with <c>IFF_UP</c>: brings a network
/// interface up, as <c>ip link set IFACE up</c> does.
/// </summary>
/// <param name="Interface">The interface name, for example <c>lo</c>.</param>
public sealed record LinkUp(string Interface) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"ioctl(socket, SIOCSIFFLAGS, {{{Quote(Interface)}, IFF_UP}})";
}

/// <summary>
/// <c>prlimit(2)</c> on the target: silo-init raises its own hard limit first when the new one is
/// higher (where a limit that cannot be granted fails), and the trampoline sets the limit in the
/// forked target just before exec. silo-init itself is not limited: an address-space or process
/// limit sized for a program would stop its runtime from forking the target.
/// </summary>
/// <param name="Resource">The <c>RLIMIT_*</c> name without its prefix, lower case: <c>nofile</c>.</param>
/// <param name="Soft">The soft limit; <see cref="ulong.MaxValue"/> is unlimited.</param>
/// <param name="Hard">The hard limit; <see cref="ulong.MaxValue"/> is unlimited.</param>
public sealed record SetResourceLimit(string Resource, ulong Soft, ulong Hard) : Operation
{
    /// <inheritdoc/>
    public override string Describe() =>
        $"prlimit(0, RLIMIT_{Resource.ToUpperInvariant()}, {{{Show(Soft)}, {Show(Hard)}}})";

    private static string Show(ulong value) => value == ulong.MaxValue ? "RLIM_INFINITY" : value.ToString();
}

/// <summary><c>prctl(PR_SET_NO_NEW_PRIVS, 1)</c>: no exec can grant privilege any more.</summary>
public sealed record SetNoNewPrivileges : Operation
{
    /// <inheritdoc/>
    public override string Describe() => "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)";
}

/// <summary>
/// Narrows the capability sets to <see cref="Keep"/>: drops every other capability from the
/// bounding set (<c>PR_CAPBSET_DROP</c>), empties the inheritable set and sets permitted and
/// effective to <see cref="Keep"/> with <c>capset(2)</c>, and clears the ambient set. silo-init
/// keeps CAP_SETUID, CAP_SETGID and CAP_KILL for itself (to start a target with other ids and to
/// signal it); the target gets no more than <see cref="Keep"/>, and none if it changes uid.
/// </summary>
/// <param name="Keep">A bit mask of capability numbers (bit 0 is CAP_CHOWN).</param>
public sealed record LimitCapabilities(ulong Keep) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"capset(keep 0x{Keep:x16}); PR_CAPBSET_DROP others; ambient cleared";
}

/// <summary>
/// <c>seccomp(SECCOMP_SET_MODE_FILTER)</c>: loads a classic BPF program that the host compiled,
/// on every thread of silo-init; the target inherits it. Needs no_new_privs or CAP_SYS_ADMIN.
/// </summary>
/// <param name="Program">The <c>struct sock_filter</c> array, 8 bytes an instruction.</param>
public sealed record LoadSeccompFilter(byte[] Program) : Operation
{
    /// <inheritdoc/>
    public override string Describe() =>
        $"seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, {{{Program.Length / 8} instructions}})";
}

/// <summary>
/// <c>statfs(2)</c>: refuses to go on unless <see cref="Path"/> is on the named file system and is
/// not a symbolic link (for example that <c>/proc</c> is a real procfs before writing to it).
/// </summary>
/// <param name="Path">The path to check.</param>
/// <param name="FileSystem">The file system's name, for the message: <c>proc</c>.</param>
/// <param name="Magic">The file system's magic number from <c>statfs</c>, for example 0x9fa0 for proc.</param>
public sealed record RequireFileSystem(string Path, string FileSystem, long Magic) : Operation
{
    /// <inheritdoc/>
    public override string Describe() => $"statfs({Quote(Path)}) == {FileSystem} (0x{Magic:x})";
}
