namespace Silo.Stage.User;

/// <summary>
/// The subordinate id ranges of <c>/etc/subuid</c> and <c>/etc/subgid</c> (see subuid(5)): lines
/// <c>name-or-uid:first:count</c> that let a user map more ids than its own through the setuid
/// helpers newuidmap and newgidmap.
/// </summary>
public static class SubordinateIds
{
    /// <summary>The first range that belongs to the user, by name or by number, or null.</summary>
    public static (long First, long Count)? Find(string fileText, string userName, int uid)
    {
        foreach (string raw in fileText.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] fields = line.Split(':');
            if (fields.Length != 3 || (fields[0] != userName && fields[0] != uid.ToString()))
            {
                continue;
            }

            if (long.TryParse(fields[1], out long first) && long.TryParse(fields[2], out long count) && count > 0)
            {
                return (first, count);
            }
        }

        return null;
    }

    /// <summary>The file's text, or empty when it does not exist or cannot be read.</summary>
    public static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
