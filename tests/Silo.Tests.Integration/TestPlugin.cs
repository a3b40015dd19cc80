namespace Silo.Tests.Integration;

/// <summary>
/// One of the deliberately broken stage plugins of tests/Plugins, copied into a temporary folder
/// of its own for <c>--stage-path</c>, and removed again when disposed. The solution build
/// compiles those plugins; publishing never ships them, so they are taken from the build output.
/// </summary>
public sealed class TestPlugin : IDisposable
{
    private TestPlugin(string folder, string file)
    {
        Folder = folder;
        File = file;
    }

    /// <summary>The folder to pass with <c>--stage-path</c>.</summary>
    public string Folder { get; }

    /// <summary>The full path of the plugin's assembly in <see cref="Folder"/>.</summary>
    public string File { get; }

    /// <summary>Copies the build output of a test plugin project, except the files named.</summary>
    public static TestPlugin Copy(string project, params string[] leaveOut)
    {
        string output = BuildOutput(project);
        string folder = Silo.SharedTempDirectory("silo-plugin-");
        foreach (string file in Directory.EnumerateFiles(output))
        {
            if (!leaveOut.Contains(Path.GetFileName(file)))
            {
                System.IO.File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            }
        }

        return new TestPlugin(folder, Path.Combine(folder, project + ".dll"));
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    private static string BuildOutput(string project)
    {
        // Directory.Build.props puts each project's output in
        // artifacts/build/bin/<project>/<configuration>. These tests run from such a folder of
        // their own, so the plugin's is a sibling of it in the same configuration.
        var own = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        string output = Path.Combine(own.Parent!.Parent!.FullName, project, own.Name);
        if (!System.IO.File.Exists(Path.Combine(output, project + ".dll")))
        {
            throw new InvalidOperationException(
                $"test plugin {project} is not built in {output}: " +
                "build the solution with 'dotnet run build.cs -- build'");
        }

        return output;
    }
}
