using System.Security.Cryptography;
using System.Text;

namespace Silo.Tests.Integration;

/// <summary>
/// A tiny root file system made for a test: the static busybox (package busybox-static) with a
/// few applet links and /etc/motd; optionally bash and GNU rm with the libraries they load.
/// </summary>
public static class TestRootfs
{
    private const string Busybox = "/usr/bin/busybox";

    /// <summary>Makes the rootfs in a fresh shared temporary folder and returns its path.</summary>
    public static string Create(bool withBash = false, int? owner = null)
    {
        if (!File.Exists(Busybox))
        {
            throw new InvalidOperationException($"{Busybox} is missing: install the busybox-static package (.ci/run does)");
        }

        string root = Path.Combine(Silo.SharedTempDirectory("silo-rootfs-"), "rootfs");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        File.Copy(Busybox, Path.Combine(root, "bin", "busybox"));
        // With bash comes GNU rm (busybox's knows no --no-preserve-root), so busybox's is left out.
        string[] applets = ["sh", "ls", "cat", "touch", "mkdir", "echo", "test", "id", "wc", .. withBash ? [] : new[] { "rm" }];
        foreach (string applet in applets)
        {
            File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        }

        File.WriteAllText(Path.Combine(root, "etc", "motd"), "a test rootfs\n");
        if (withBash)
        {
            CopyWithLibraries("/usr/bin/bash", root);
            CopyWithLibraries("/usr/bin/rm", root);
        }

        Silo.Host("chmod", "-R", "a+rX", root);
        if (owner is int uid)
        {
            Silo.Host("chown", "-R", "--no-dereference", $"{uid}:{uid}", root);
        }

        return root;
    }

    /// <summary>A digest of every path, type, mode, owner, link target and file content below the root.</summary>
    public static string Checksum(string root)
    {
        var text = new StringBuilder();
        foreach (string path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(path);
            string stat = Silo.Host("stat", "-c", "%F %a %u %g", path).Stdout.Trim();
            text.Append(Path.GetRelativePath(root, path)).Append(' ').Append(stat).Append(' ');
            if (info.LinkTarget is { } link)
            {
                text.Append("-> ").Append(link);
            }
            else if (info.Exists)
            {
                text.Append(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))));
            }

            text.Append('\n');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    // The program and what ldd says it loads, each at the same path inside the rootfs.
    private static void CopyWithLibraries(string program, string root)
    {
        var files = new List<string> { program };
        foreach (string line in Silo.Host("ldd", program).Stdout.Split('\n'))
        {
            string? path = line.Split(' ', '\t').FirstOrDefault(p => p.StartsWith('/'));
            if (path is not null)
            {
                files.Add(path);
            }
        }

        foreach (string file in files)
        {
            string target = root + file;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
