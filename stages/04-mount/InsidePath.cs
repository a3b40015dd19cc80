namespace Silo.Stage.Mount;

/// <summary>Checks for paths inside the sandbox and for paths on the host.</summary>
internal static class InsidePath
{
    /// <summary>
    /// Null when <paramref name="path"/> is a clean absolute path below <c>/</c>; otherwise what is
    /// wrong with it. "." and ".." are refused rather than resolved, so that what a user reads in
    /// the command line is the place that is mounted on.
    /// </summary>
    public static string? Check(string path)
    {
        if (!path.StartsWith('/'))
        {
            return $"'{path}' is not absolute: a path inside the sandbox starts with /";
        }

        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            return "'/' is the root itself: use --rootfs to choose what the root holds";
        }

        return parts.Any(p => p is "." or "..") ? $"'{path}' has a '.' or '..' component" : null;
    }

    /// <summary>The path with single slashes and no trailing slash.</summary>
    public static string Normalize(string path) =>
        "/" + string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>
    /// The host path with every symbolic link resolved (as <c>realpath(3)</c>), or null when some
    /// component does not exist. The stage checks and mounts the resolved path, so that the place
    /// it reasons about (is it hidden by the staging tmpfs?) is the place the kernel uses.
    /// </summary>
    public static string? ResolveOnHost(string path)
    {
        string[] parts = Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries);
        var pending = new Stack<string>(parts.Reverse());
        string resolved = "/";
        for (int links = 0; pending.Count > 0;)
        {
            string part = pending.Pop();
            string next = part == ".." ? Path.GetDirectoryName(resolved) ?? "/" : Path.Combine(resolved, part);
            var info = new FileInfo(next);
            if (!info.Exists && !Directory.Exists(next))
            {
                return null;
            }

            if (info.LinkTarget is { } link)
            {
                if (++links > 40)
                {
                    return null;
                }

                foreach (string p in link.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.Push(p);
                }

                resolved = link.StartsWith('/') ? "/" : resolved;
                continue;
            }

            resolved = next;
        }

        return resolved;
    }
}
