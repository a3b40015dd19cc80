[assembly: AssemblyFixture(typeof(Silo.Tests.Integration.TempFolders))]

namespace Silo.Tests.Integration;

/// <summary>
/// Removes the tests' temporary folders once every test has run. An assembly fixture, not a
/// handler at process exit: the test host may be ended before such a handler has finished.
/// </summary>
public sealed class TempFolders : IDisposable
{
    public void Dispose() => Silo.RemoveMade();
}
