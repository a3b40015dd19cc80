using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Silo.Native;

public static unsafe partial class Sys
{
    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true)]
    private static partial int statfs(byte* path, byte* buf);

    /// <summary><c>mkdir(2)</c> for the path and each missing parent; an existing directory is fine.</summary>
    public static void MakeDirectory(string path, int mode)
    {
        string? parent = Path.GetDirectoryName(path.TrimEnd('/'));
        if (!string.IsNullOrEmpty(parent) && parent != path && !Directory.Exists(parent))
        {
            MakeDirectory(parent, mode);
        }

        fixed (byte* p = Z(path))
        {
            if (mkdir(p, (Tmds.Linux.mode_t)(uint)mode) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != EEXIST)
                {
                    throw new SyscallException($"mkdir {path}", errno);
                }
            }
        }
    }

    /// <summary><c>open(2)</c> with <c>O_CREAT</c>, then close: an empty file, kept if it exists.</summary>
    public static void CreateFile(string path, int mode)
    {
        fixed (byte* p = Z(path))
        {
            int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, (Tmds.Linux.mode_t)(uint)mode);
            Check(fd, $"open {path}");
            close(fd);
        }
    }

    /// <summary><c>open(2)</c> and one <c>write(2)</c>: writes the text to an existing file.</summary>
    public static void WriteFile(string path, string content)
    {
        fixed (byte* p = Z(path))
        {
            int fd = open(p, O_WRONLY | O_CLOEXEC, 0);
            Check(fd, $"open {path}");
            try
            {
                WriteAll(fd, System.Text.Encoding.UTF8.GetBytes(content), path);
            }
            finally
            {
                close(fd);
            }
        }
    }

    /// <summary><c>symlink(2)</c>.</summary>
    public static void Symlink(string target, string linkPath)
    {
        fixed (byte* t = Z(target))
        fixed (byte* l = Z(linkPath))
        {
            Check(symlink(t, l), $"symlink {linkPath}");
        }
    }

    /// <summary><c>chdir(2)</c>.</summary>
    public static void ChangeDirectory(string path)
    {
        fixed (byte* p = Z(path))
        {
            Check(chdir(p), $"chdir {path}");
        }
    }

    /// <summary><c>rmdir(2)</c>.</summary>
    public static void RemoveDirectory(string path)
    {
        fixed (byte* p = Z(path))
        {
            Check(rmdir(p), $"rmdir {path}");
        }
    }

    /// <summary><c>access(2)</c> with <c>X_OK</c>.</summary>
    public static bool IsExecutable(string path)
    {
        fixed (byte* p = Z(path))
        {
            return access(p, X_OK) == 0;
        }
    }

    /// <summary><c>statfs(2)</c>: the file system's magic number (<c>f_type</c>).</summary>
    public static long FileSystemType(string path)
    {
        // struct statfs is 120 bytes on 64-bit Linux; f_type is its first field.
        byte* buffer = stackalloc byte[256];
        fixed (byte* p = Z(path))
        {
            Check(statfs(p, buffer), $"statfs {path}");
        }

        return *(long*)buffer;
    }
}
