using System.Runtime.InteropServices;

namespace Silo.Native;

/// <summary>Names and texts of errno values, as <c>errno(1)</c> prints them.</summary>
public static class Errno
{
    // The values for Linux on every architecture silo builds for (asm-generic/errno-base.h and
    // errno.h); only those a sandbox is likely to meet are named.
    private static readonly Dictionary<int, string> s_names = new()
    {
        [1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [5] = "EIO", [6] = "ENXIO",
        [7] = "E2BIG", [8] = "ENOEXEC", [9] = "EBADF", [10] = "ECHILD", [11] = "EAGAIN",
        [12] = "ENOMEM", [13] = "EACCES", [14] = "EFAULT", [15] = "ENOTBLK", [16] = "EBUSY",
        [17] = "EEXIST", [18] = "EXDEV", [19] = "ENODEV", [20] = "ENOTDIR", [21] = "EISDIR",
        [22] = "EINVAL", [23] = "ENFILE", [24] = "EMFILE", [25] = "ENOTTY", [26] = "ETXTBSY",
        [27] = "EFBIG", [28] = "ENOSPC", [29] = "ESPIPE", [30] = "EROFS", [31] = "EMLINK",
        [32] = "EPIPE", [36] = "ENAMETOOLONG", [38] = "ENOSYS", [39] = "ENOTEMPTY", [40] = "ELOOP",
        [75] = "EOVERFLOW", [95] = "EOPNOTSUPP", [98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL",
        [101] = "ENETUNREACH", [110] = "ETIMEDOUT", [111] = "ECONNREFUSED", [113] = "EHOSTUNREACH",
    };

    /// <summary>The symbolic name, for example <c>EPERM</c>, or <c>errno 135</c>.</summary>
    public static string Name(int errno) => s_names.TryGetValue(errno, out var name) ? name : $"errno {errno}";

    /// <summary>For example <c>Operation not permitted (EPERM)</c>.</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} ({Name(errno)})";
}
