namespace Silo;

/// <summary>silo's own exit statuses, after <c>docker run</c> and <c>podman run</c>.</summary>
internal static class ExitCodes
{
    /// <summary>The command line is wrong: nothing was cloned.</summary>
    public const int Usage = 2;

    /// <summary>silo itself failed: a stage, a system call, a plugin.</summary>
    public const int SiloFailure = 125;

    /// <summary>The target exists but cannot be executed.</summary>
    public const int NotExecutable = 126;

    /// <summary>The target was not found inside the sandbox.</summary>
    public const int NotFound = 127;

    /// <summary>A target that dies of signal N makes silo exit with 128 + N.</summary>
    public const int SignalBase = 128;
}
