using static Tmds.Linux.LibC;

namespace Silo.Native;

public static unsafe partial class Sys
{
    /// <summary><c>sethostname(2)</c>.</summary>
    public static void SetHostname(string name)
    {
        byte[] bytes = Z(name);
        fixed (byte* p = bytes)
        {
            Check(sethostname(p, bytes.Length - 1), "sethostname");
        }
    }

    /// <summary><c>setdomainname(2)</c>.</summary>
    public static void SetDomainName(string name)
    {
        byte[] bytes = Z(name);
        fixed (byte* p = bytes)
        {
            Check(setdomainname(p, bytes.Length - 1), "setdomainname");
        }
    }
}
