using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Silo.Stage.Net;

/// <summary>
/// One <c>-p</c> value: connections to <see cref="HostAddress"/>:<see cref="HostPort"/> on the
/// host are forwarded to <see cref="GuestPort"/> inside the sandbox.
/// </summary>
internal sealed record PortMapping(IPAddress HostAddress, int HostPort, int GuestPort, string Protocol)
{
    public const string Syntax = "[HOSTADDR:]HOSTPORT:PORT[/tcp|/udp], for example 8080:80 or 127.0.0.1:5353:53/udp";

    public override string ToString() => $"{HostAddress}:{HostPort} -> {GuestPort}/{Protocol}";

    /// <summary>Null when the text is a valid mapping, or what is wrong with it.</summary>
    public static string? Problem(string text) => TryParse(text, out _, out string? problem) ? null : problem;

    public static PortMapping Parse(string text) =>
        TryParse(text, out PortMapping? mapping, out string? problem)
            ? mapping
            : throw new FormatException(problem);

    private static bool TryParse(
        string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PortMapping? mapping, out string? problem)
    {
        mapping = null;
        string protocol = "tcp";
        string ports = text;
        int slash = text.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = text[(slash + 1)..];
            ports = text[..slash];
            if (protocol is not ("tcp" or "udp"))
            {
                problem = $"the protocol is tcp or udp, not '{protocol}'; the syntax is {Syntax}";
                return false;
            }
        }

        // The published address defaults to the host's loopback: a port opened for the sandbox
        // should not appear on every network the host is connected to unless asked for.
        string[] parts = ports.Split(':');
        var address = IPAddress.Loopback;
        if (parts.Length == 3 &&
            !(IPAddress.TryParse(parts[0], out address!) && address.AddressFamily == AddressFamily.InterNetwork))
        {
            problem = $"'{parts[0]}' is not an IPv4 address; the syntax is {Syntax}";
            return false;
        }

        if (parts.Length is not (2 or 3))
        {
            problem = $"give a host port and a port inside, separated by ':'; the syntax is {Syntax}";
            return false;
        }

        if (!TryPort(parts[^2], out int hostPort) || !TryPort(parts[^1], out int guestPort))
        {
            problem = $"ports are numbers from 1 to 65535; the syntax is {Syntax}";
            return false;
        }

        mapping = new PortMapping(address, hostPort, guestPort, protocol);
        problem = null;
        return true;
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
}
