using System.Diagnostics;

namespace Silo.Tests.Integration;

/// <summary>Waits for something the kernel does a little later: a process ending, a listener.</summary>
public static class Poll
{
    /// <summary>True as soon as the condition holds; false when it still does not after 20 s.</summary>
    public static bool Until(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(50);
        }

        return condition();
    }
}
