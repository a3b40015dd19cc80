namespace Silo.Abstractions;

/// <summary>What the host knows about the caller before anything is cloned.</summary>
/// <param name="Uid">The caller's effective user id on the host.</param>
/// <param name="Gid">The caller's effective group id on the host.</param>
/// <param name="UserName">The caller's user name, or the uid as text when it has none.</param>
public sealed record HostFacts(int Uid, int Gid, string UserName)
{
    /// <summary>True when the caller is real root (uid 0 in the host's user namespace).</summary>
    public bool IsRealRoot => Uid == 0;
}
