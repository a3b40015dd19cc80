using System.Net;
using System.Net.Sockets;
using Silo.Abstractions;
using Silo.Abstractions.Plan;
using Silo.Native;

namespace Silo.Stage.Net;

/// <summary>
/// The network namespace: network devices, addresses, ports, routes, firewall rules and abstract
/// unix sockets of the sandbox's own. By default the sandbox gets only a loopback interface;
/// <c>--net user</c> attaches user-mode networking through slirp4netns.
/// </summary>
public sealed class NetStage : IIsolationStage
{
    private const string None = "none";
    private const string User = "user";
    private const string PrivilegeHint = "run as root or enable the user stage";

    private static readonly StageOption s_net = new(
        "--net", "The network inside: none (loopback only, the default) or user (user-mode networking, slirp4netns)")
    {
        ValueName = "MODE",
        Validate = mode => mode is None or User ? null : "the mode is none (loopback only) or user (slirp4netns)",
    };

    private static readonly StageOption s_publish = new(
        "--publish", $"Publish a port of the sandbox on the host, {PortMapping.Syntax} (needs --net user)")
    {
        Aliases = ["-p"],
        ValueName = "HOSTPORT:PORT",
        Repeatable = true,
        Validate = PortMapping.Problem,
    };

    private static readonly StageOption s_hostLoopback = new(
        "--net-host-loopback", "Let the sandbox reach the host's 127.0.0.1 as 10.0.2.2 (needs --net user)")
    {
        IsFlag = true,
    };

    /// <inheritdoc/>
    public string Name => "net";

    /// <inheritdoc/>
    public string Summary => "a network of the sandbox's own: loopback only, or user-mode networking";

    /// <inheritdoc/>
    public string Isolates => "network devices, addresses, ports, routes and abstract unix sockets";

    /// <inheritdoc/>
    public int Lesson => 5;

    /// <inheritdoc/>
    public CloneFlags CloneFlag => CloneFlags.NewNet;

    // Last among the stages: the helper joins the child's user namespace, so the user stage's
    // parent-side work (the uid and gid maps) must be done before the helper is started, or it
    // would enter a namespace where it has no mapped id.
    /// <inheritdoc/>
    public StageOrdering Ordering => StageOrdering.Last;

    /// <inheritdoc/>
    public IReadOnlyList<StageOption> Options { get; } = [s_net, s_publish, s_hostLoopback];

    /// <inheritdoc/>
    public void CheckPrerequisites(StageContext context)
    {
        bool user = IsUserMode(context.Options);
        RefuseUserModeOptions(context.Options, user);
        RequirePrivilege(context);
        if (!user)
        {
            return;
        }

        RequireHelper();
        if (!context.Host.IsRealRoot)
        {
            RequireTunDevice();
        }

        foreach (PortMapping mapping in Mappings(context.Options))
        {
            RequireFreePort(mapping);
        }
    }

    /// <inheritdoc/>
    public void Plan(StageContext context)
    {
        // A new network namespace has a loopback interface, but it is down: even 127.0.0.1 would
        // be unreachable inside until it is brought up.
        context.AddStep("bring the loopback interface up", new LinkUp("lo"), PrivilegeHint);
        if (!IsUserMode(context.Options))
        {
            context.Log.Step("--net none: the sandbox has only its loopback; nothing outside it is reachable");
            return;
        }

        context.Log.Step(
            $"--net user: after the clone the host attaches {Slirp4netns.Program} to the child's network namespace");
        WarnAboutLoopbackResolver(context.Log);
        foreach (PortMapping mapping in Mappings(context.Options))
        {
            context.Log.Step($"--publish: {mapping}");
        }
    }

    /// <inheritdoc/>
    public void SetUpParent(ParentContext context)
    {
        if (!IsUserMode(context.Options))
        {
            return;
        }

        // Runs in the host, after the clone, while the child still waits on the sync pipe: the
        // network namespace exists, and tap0 is ready before the target starts.
        var helper = Slirp4netns.Start(
            Slirp4netns.FindInPath(Slirp4netns.Program) ?? throw MissingHelper(),
            Slirp4netns.FindInPath("setsid") ?? throw MissingSetsid(),
            context.ChildPid,
            hostLoopback: context.Options.IsSet(s_hostLoopback),
            withApi: Mappings(context.Options).Count > 0,
            context.Log);
        context.OnExit(helper.Stop);
        helper.WaitUntilReady();
        foreach (PortMapping mapping in Mappings(context.Options))
        {
            helper.Publish(mapping);
        }

        helper.CloseApi();
        helper.FailWhenItDies(context.Fail);
    }

    // Known limitation: the sandbox keeps the /etc/resolv.conf it sees, and a resolver on the
    // host's loopback (systemd-resolved's 127.0.0.53) is unreachable from the sandbox's own, so
    // names do not resolve. Fix: with the mount stage on, bind a resolv.conf naming 10.0.2.3 (the
    // helper's DNS forwarder) over /etc/resolv.conf.
    private static void WarnAboutLoopbackResolver(IStageLog log)
    {
        string[] lines = File.Exists("/etc/resolv.conf") ? File.ReadAllLines("/etc/resolv.conf") : [];
        string? loopback = lines
            .Select(l => l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length >= 2 && w[0] == "nameserver")
            .Select(w => w[1])
            .FirstOrDefault(a => IPAddress.TryParse(a, out IPAddress? ip) && IPAddress.IsLoopback(ip));
        if (loopback is not null)
        {
            log.Warn($"/etc/resolv.conf names {loopback}, a resolver on the host's loopback, which the " +
                     "sandbox cannot reach: names will not resolve inside; use nameserver 10.0.2.3 there");
        }
    }

    private static bool IsUserMode(StageOptionValues options) => options.Get(s_net) == User;

    private static List<PortMapping> Mappings(StageOptionValues options) =>
        [.. options.GetAll(s_publish).Select(PortMapping.Parse)];

    private static void RefuseUserModeOptions(StageOptionValues options, bool user)
    {
        foreach (StageOption option in (StageOption[])[s_publish, s_hostLoopback])
        {
            if (!user && options.IsSet(option))
            {
                throw new StageUsageException(
                    $"{option.Name} needs a network to forward through: add --net user " +
                    "(the default, --net none, has only loopback)");
            }
        }
    }

    private static void RequirePrivilege(StageContext context)
    {
        // clone(CLONE_NEWNET) needs CAP_SYS_ADMIN, and bringing lo up CAP_NET_ADMIN, in the user
        // namespace that owns the new network namespace: the host's, unless the user stage is on.
        if (!context.HasPrivilege)
        {
            throw new StageFailureException(
                "create a network namespace",
                $"clone(CLONE_NEWNET) needs CAP_SYS_ADMIN, which uid {context.Host.Uid} does not hold",
                PrivilegeHint);
        }
    }

    private static void RequireHelper()
    {
        if (Slirp4netns.FindInPath(Slirp4netns.Program) is null)
        {
            throw MissingHelper();
        }
    }

    private static StageFailureException MissingHelper() =>
        new("find the network helper",
            $"{Slirp4netns.Program} is not in PATH ({Environment.GetEnvironmentVariable("PATH")})",
            $"install the Debian package {Slirp4netns.Package} " +
            $"(sudo apt-get install {Slirp4netns.Package}), or use --net none");

    private static StageFailureException MissingSetsid() =>
        new("find setsid", "setsid is not in PATH", "install the Debian package util-linux");

    // The helper opens /dev/net/tun inside the sandbox's namespaces, yet the device's permission
    // bits are still checked against the caller's uid on the host. Debian's udev makes it 0666;
    // some minimal systems leave it 0600, which only root can open.
    private static void RequireTunDevice()
    {
        try
        {
            using var tun = File.Open("/dev/net/tun", FileMode.Open, FileAccess.ReadWrite);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            const int EACCES = 13;
            throw new StageFailureException(
                "open the tun device for user-mode networking",
                $"open /dev/net/tun: {(e is UnauthorizedAccessException ? Errno.Describe(EACCES) : e.Message)}",
                "slirp4netns needs /dev/net/tun readable and writable by every user (mode 0666, as udev sets it): " +
                "as root, chmod 0666 /dev/net/tun; or run silo as root, or use --net none");
        }
    }

    // Checked before anything is cloned, so that a port in use is one clear error rather than a
    // failure halfway through setting up. SO_REUSEADDR lets the check pass a port that only has
    // connections in TIME_WAIT, as the helper's own bind does.
    private static void RequireFreePort(PortMapping mapping)
    {
        var type = mapping.Protocol == "udp" ? SocketType.Dgram : SocketType.Stream;
        var protocol = mapping.Protocol == "udp" ? ProtocolType.Udp : ProtocolType.Tcp;
        using var probe = new Socket(AddressFamily.InterNetwork, type, protocol);
        probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        try
        {
            probe.Bind(new IPEndPoint(mapping.HostAddress, mapping.HostPort));
        }
        catch (SocketException e)
        {
            throw new StageFailureException(
                $"publish {mapping}",
                $"bind {mapping.HostAddress}:{mapping.HostPort}/{mapping.Protocol}: " +
                Errno.Describe(e.NativeErrorCode),
                e.SocketErrorCode == SocketError.AddressAlreadyInUse
                    ? "another program listens on that port: choose another host port with -p"
                    : "choose another host port or address with -p");
        }
    }
}
