using Silo.Native;

namespace Silo.Init;

/// <summary>
/// Opens a mount target inside a directory that stands for the sandbox's root, creating what is
/// missing, so that the mount can then be made on <c>/proc/self/fd/N</c>: on the very place that
/// was resolved, never on a path that the kernel would look up again.
/// </summary>
/// <remarks>
/// The new root holds content silo does not control (a --rootfs, or a mount the user asked for).
/// A plain <c>mount(2)</c> on "root/dev" follows whatever "dev" is there: a planted link
/// <c>dev -> /etc</c> would put the mount on the host's /etc, and a <c>mkdir -p</c> through it
/// would create directories on the host (runc's CVE-2021-30465 was of this kind). Resolving with
/// <c>openat2(RESOLVE_IN_ROOT)</c> keeps every link, absolute or with "..", inside the root, and
/// creating each missing component with <c>mkdirat</c> on a descriptor of its parent keeps the
/// creation there too. A last component that is itself a link is refused rather than followed:
/// a mount point that is a link is a mistake or an attack, and the message says which path.
/// </remarks>
internal static class InsideRoot
{
    private const int DirectoryMode = 0x1ED; // 0755
    private const int FileMode = 0x1A4; // 0644
    private const int ENOENT = 2;

    /// <summary>Returns an O_PATH descriptor of <paramref name="target"/> inside <paramref name="root"/>.</summary>
    /// <param name="root">The directory that stands for "/".</param>
    /// <param name="target">An absolute path inside it.</param>
    /// <param name="create">
    /// Create missing components: directories, and the last one as <paramref name="lastKind"/>.
    /// </param>
    /// <param name="lastKind">What to create last: a directory, or an empty file to bind a file onto.</param>
    public static int Open(string root, string target, bool create, FileKind lastKind)
    {
        string[] parts = target.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int rootFd = Sys.OpenPath(root);
        try
        {
            for (int i = 0; i < parts.Length; i++)
            {
                bool last = i == parts.Length - 1;
                string prefix = string.Join('/', parts[..(i + 1)]);
                int fd = Sys.OpenInRoot(rootFd, prefix, noFollow: last, Shown(root, prefix));
                if (fd < 0 && create)
                {
                    MakeComponent(rootFd, root, parts, i, last ? lastKind : FileKind.Directory);
                    fd = Sys.OpenInRoot(rootFd, prefix, noFollow: last, Shown(root, prefix));
                    if (fd < 0)
                    {
                        // mkdirat found an entry (EEXIST) that still resolves to nothing: a link
                        // to a missing place. Creating through it is what "mkdir -p" would do,
                        // and exactly what a planted link wants.
                        throw new NotSupportedException(
                            $"/{prefix} inside the new root ({Shown(root, prefix)}) is a symbolic link to a " +
                            "place that does not exist: silo does not create mount points through links");
                    }
                }

                if (fd < 0)
                {
                    throw new SyscallException($"openat2 {Shown(root, prefix)}", ENOENT);
                }

                if (!last)
                {
                    Sys.Close(fd);
                    continue;
                }

                if (Sys.KindOf(fd) == FileKind.SymbolicLink)
                {
                    Sys.Close(fd);
                    throw new NotSupportedException(
                        $"{target} inside the new root ({Shown(root, prefix)}) is a symbolic link: " +
                        "silo never mounts onto a link, which could lead out of the root");
                }

                return fd;
            }

            return Sys.OpenInRoot(rootFd, ".", noFollow: false, root);
        }
        finally
        {
            Sys.Close(rootFd);
        }
    }

    // Creates parts[i] in the directory parts[..i] resolves to, itself resolved inside the root.
    private static void MakeComponent(int rootFd, string root, string[] parts, int i, FileKind kind)
    {
        string parentPath = i == 0 ? "." : string.Join('/', parts[..i]);
        int parentFd = Sys.OpenInRoot(rootFd, parentPath, noFollow: false, Shown(root, parentPath));
        if (parentFd < 0)
        {
            throw new SyscallException($"openat2 {Shown(root, parentPath)}", ENOENT);
        }

        try
        {
            string shown = Shown(root, string.Join('/', parts[..(i + 1)]));
            if (kind == FileKind.Directory)
            {
                Sys.MakeDirectoryAt(parentFd, parts[i], DirectoryMode, shown);
            }
            else
            {
                Sys.CreateFileAt(parentFd, parts[i], FileMode, shown);
            }
        }
        finally
        {
            Sys.Close(parentFd);
        }
    }

    private static string Shown(string root, string relative) => root.TrimEnd('/') + "/" + relative;
}
