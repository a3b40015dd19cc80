using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Silo.Native;

public static unsafe partial class Sys
{
    private const long SysPivotRoot = 155; // x86_64

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall2(long number, byte* arg1, byte* arg2);

    /// <summary><c>mount(2)</c>; the error names the target and, when there is one, the source.</summary>
    public static void Mount(string? source, string target, string? fsType, ulong flags, string? data)
    {
        fixed (byte* s = source is null ? null : Z(source))
        fixed (byte* t = Z(target))
        fixed (byte* f = fsType is null ? null : Z(fsType))
        fixed (byte* d = data is null ? null : Z(data))
        {
            Check(mount(s, t, f, (Tmds.Linux.ulong_t)flags, d), $"mount {target}");
        }
    }

    /// <summary><c>umount2(2)</c>, with <c>MNT_DETACH</c> when asked.</summary>
    public static void Unmount(string target, bool detach)
    {
        fixed (byte* t = Z(target))
        {
            Check(umount2(t, detach ? MNT_DETACH : 0), $"umount2 {target}");
        }
    }

    /// <summary><c>pivot_root(2)</c>, which libc does not wrap.</summary>
    public static void PivotRoot(string newRoot, string putOld)
    {
        fixed (byte* n = Z(newRoot))
        fixed (byte* o = Z(putOld))
        {
            Check((int)syscall2(SysPivotRoot, n, o), $"pivot_root {newRoot}");
        }
    }
}
