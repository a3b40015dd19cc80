using System.Text;
using static Tmds.Linux.LibC;

namespace Silo.Native;

public static unsafe partial class Sys
{
    // struct ifreq (linux/if.h): a 16-byte interface name (IFNAMSIZ, with its NUL) followed by a
    // union whose largest member is 24 bytes; ifr_flags is the union's first short.
    private const int IfNameSize = 16;
    private const int IfReqSize = 40;
    private const int IffUp = 0x1;

    /// <summary>
    /// Brings a network interface up, as <c>ip link set NAME up</c> does: <c>ioctl(SIOCGIFFLAGS)</c>
    /// reads its flags and <c>ioctl(SIOCSIFFLAGS)</c> writes them back with <c>IFF_UP</c>. Setting
    /// the flags needs <c>CAP_NET_ADMIN</c> in the user namespace that owns the network namespace.
    /// </summary>
    public static void LinkUp(string name)
    {
        int nameBytes = Encoding.UTF8.GetByteCount(name);
        if (nameBytes == 0 || nameBytes >= IfNameSize)
        {
            throw new NotSupportedException(
                $"interface name \"{name}\" is {nameBytes} bytes; the kernel takes 1 to {IfNameSize - 1}");
        }

        // Interface ioctls go through a socket, any socket: the kernel looks the name up in the
        // network namespace the socket belongs to, which is the caller's.
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        Check(fd, "socket AF_INET SOCK_DGRAM");
        try
        {
            byte* request = stackalloc byte[IfReqSize];
            new Span<byte>(request, IfReqSize).Clear();
            Encoding.UTF8.GetBytes(name, new Span<byte>(request, IfNameSize - 1));
            Check(ioctl(fd, SIOCGIFFLAGS, request), $"ioctl SIOCGIFFLAGS {name}");
            short* flags = (short*)(request + IfNameSize);
            *flags = (short)(*flags | IffUp);
            Check(ioctl(fd, SIOCSIFFLAGS, request), $"ioctl SIOCSIFFLAGS {name}");
        }
        finally
        {
            close(fd);
        }
    }
}
