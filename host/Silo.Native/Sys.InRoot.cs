using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Silo.Native;

/// <summary>What a path names, as <c>statx(2)</c> reports its type.</summary>
public enum FileKind
{
    /// <summary>Nothing there.</summary>
    Missing,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (not followed).</summary>
    SymbolicLink,

    /// <summary>Anything else: a regular file, a device node, a socket, a pipe.</summary>
    Other,
}

// Calls on descriptors, for resolving paths inside a directory treated as the root. The numbers
// of the newer calls (openat2 437, mount_setattr 442) are the same on every architecture.
public static unsafe partial class Sys
{
    private const long SysOpenat2 = 437;
    private const long SysMountSetattr = 442;

    private const ulong ResolveNoMagicLinks = 0x02;
    private const ulong ResolveInRoot = 0x10;
    private const int AtRecursive = 0x8000;
    private const int AtEmptyPath = 0x1000;
    private const int AtSymlinkNoFollow = 0x100;
    private const ulong MountAttrReadOnly = 0x1;
    private const uint StatxType = 0x1;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MountAttr
    {
        public ulong AttrSet;
        public ulong AttrClear;
        public ulong Propagation;
        public ulong UsernsFd;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall4(long number, long arg1, byte* arg2, void* arg3, long arg4);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall5(long number, long arg1, byte* arg2, long arg3, void* arg4, long arg5);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int mkdirat(int dirfd, byte* path, uint mode);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int openat(int dirfd, byte* path, int flags, uint mode);

    /// <summary><c>open(2)</c> with <c>O_PATH</c>: a handle on a place, not on its content.</summary>
    public static int OpenPath(string path)
    {
        fixed (byte* p = Z(path))
        {
            int fd = open(p, O_PATH | O_CLOEXEC, 0);
            Check(fd, $"open {path}");
            return fd;
        }
    }

    /// <summary>
    /// <c>openat2(2)</c> with <c>O_PATH</c> and <c>RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS</c>:
    /// <paramref name="path"/> is looked up as if <paramref name="rootFd"/> were <c>/</c>, so
    /// neither <c>..</c> nor an absolute symbolic link can leave it. With
    /// <paramref name="noFollow"/> a last component that is a link is opened, not followed.
    /// Returns -1 when a component is missing (ENOENT); throws for any other failure.
    /// </summary>
    public static int OpenInRoot(int rootFd, string path, bool noFollow, string shownAs)
    {
        var how = new OpenHow
        {
            Flags = (ulong)(O_PATH | O_CLOEXEC | (noFollow ? O_NOFOLLOW : 0)),
            Resolve = ResolveInRoot | ResolveNoMagicLinks,
        };
        fixed (byte* p = Z(path))
        {
            int fd = (int)syscall4(SysOpenat2, rootFd, p, &how, sizeof(OpenHow));
            if (fd >= 0)
            {
                return fd;
            }

            int errno = Marshal.GetLastPInvokeError();
            return errno == ENOENT ? -1 : throw new SyscallException($"openat2 {shownAs}", errno);
        }
    }

    /// <summary><c>mkdirat(2)</c> of one name in a directory; an existing entry is left as it is.</summary>
    public static void MakeDirectoryAt(int dirFd, string name, int mode, string shownAs)
    {
        fixed (byte* p = Z(name))
        {
            if (mkdirat(dirFd, p, (uint)mode) < 0 && Marshal.GetLastPInvokeError() is int errno && errno != EEXIST)
            {
                throw new SyscallException($"mkdirat {shownAs}", errno);
            }
        }
    }

    /// <summary>
    /// <c>openat(2)</c> with <c>O_CREAT|O_EXCL|O_NOFOLLOW</c>: an empty file of one name in a
    /// directory, never through a link; an existing entry is left as it is.
    /// </summary>
    public static void CreateFileAt(int dirFd, string name, int mode, string shownAs)
    {
        fixed (byte* p = Z(name))
        {
            int fd = openat(dirFd, p, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, (uint)mode);
            if (fd < 0 && Marshal.GetLastPInvokeError() is int errno && errno != EEXIST)
            {
                throw new SyscallException($"openat {shownAs}", errno);
            }

            Sys.Close(fd);
        }
    }

    /// <summary><c>statx(2)</c> of an open descriptor (<c>AT_EMPTY_PATH</c>): what it names.</summary>
    public static FileKind KindOf(int fd) => Kind(fd, "", AtEmptyPath, $"descriptor {fd}");

    /// <summary><c>statx(2)</c> of a path, not following a last link.</summary>
    public static FileKind KindOf(string path) => Kind(AT_FDCWD, path, AtSymlinkNoFollow, path);

    private static FileKind Kind(int dirFd, string path, int flags, string shownAs)
    {
        // struct statx: stx_mode is the 16-bit field at offset 28.
        byte* buffer = stackalloc byte[256];
        fixed (byte* p = Z(path))
        {
            if (statx(dirFd, p, flags | AtSymlinkNoFollow, StatxType, buffer) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno == ENOENT ? FileKind.Missing : throw new SyscallException($"statx {shownAs}", errno);
            }
        }

        // S_IFMT, S_IFDIR and S_IFLNK of <sys/stat.h>.
        return (*(ushort*)(buffer + 28) & 0xF000) switch
        {
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
    }

    /// <summary>
    /// <c>mount_setattr(2)</c> on an open descriptor with <c>MOUNT_ATTR_RDONLY</c> set and nothing
    /// cleared, with <c>AT_RECURSIVE</c> when asked.
    /// </summary>
    public static void MakeMountReadOnly(int fd, bool recursive, string shownAs)
    {
        var attr = new MountAttr { AttrSet = MountAttrReadOnly };
        byte empty = 0;
        int flags = AtEmptyPath | (recursive ? AtRecursive : 0);
        Check((int)syscall5(SysMountSetattr, fd, &empty, flags, &attr, sizeof(MountAttr)), $"mount_setattr {shownAs}");
    }

    /// <summary><c>mount(2)</c>, named in errors by <paramref name="shownAs"/> instead of its target.</summary>
    public static void MountShownAs(
        string? source, string target, string? fsType, ulong flags, string? data, string shownAs)
    {
        fixed (byte* s = source is null ? null : Z(source))
        fixed (byte* t = Z(target))
        fixed (byte* f = fsType is null ? null : Z(fsType))
        fixed (byte* d = data is null ? null : Z(data))
        {
            Check(mount(s, t, f, (Tmds.Linux.ulong_t)flags, d), $"mount {shownAs}");
        }
    }
}
