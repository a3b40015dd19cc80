namespace Silo.Abstractions;

/// <summary>
/// The command line asks a stage for something it cannot mean, such as two options that exclude
/// each other. The host prints the message and exits with status 2 before anything is cloned.
/// </summary>
public sealed class StageUsageException : Exception
{
    /// <summary>Creates the error; say what is wrong and what is valid.</summary>
    public StageUsageException(string message)
        : base(message)
    {
    }
}
