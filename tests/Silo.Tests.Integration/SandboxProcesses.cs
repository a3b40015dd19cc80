namespace Silo.Tests.Integration;

/// <summary>Looks for a sandbox's processes from the host, through the host's /proc.</summary>
public static class SandboxProcesses
{
    /// <summary>The host PIDs of the processes in a PID namespace, named as <c>pid:[INODE]</c>.</summary>
    public static int[] In(string pidNamespace)
    {
        Assert.StartsWith("pid:[", pidNamespace);
        return [.. Pids().Where(pid => Link($"/proc/{pid}/ns/pid") == pidNamespace)];
    }

    /// <summary>The host PIDs of the processes whose command line holds the marker.</summary>
    public static int[] WithMarker(string marker) =>
        [.. Pids().Where(pid => Read($"/proc/{pid}/cmdline").Contains(marker, StringComparison.Ordinal))];

    /// <summary>
    /// The host PIDs of the processes whose environment holds the marker: a run's silo, and the
    /// helpers it starts, which inherit its environment. A zombie's environment reads as empty,
    /// and so does one the test may not read (it needs ptrace access).
    /// </summary>
    public static int[] WithMarkerInEnvironment(string marker) =>
        [.. Pids().Where(pid =>
            Read($"/proc/{pid}/environ").Contains(marker, StringComparison.Ordinal))];

    private static IEnumerable<int> Pids() =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name!))
            .Where(pid => pid != Environment.ProcessId);

    private static string? Link(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null; // the process ended while we looked
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return ""; // the process ended while we looked
        }
        catch (UnauthorizedAccessException)
        {
            return ""; // environ passes a ptrace access check, which even root can fail
        }
    }
}
