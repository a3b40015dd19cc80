using System.Diagnostics;
using Silo.Abstractions;

namespace Silo;

/// <summary>
/// silo's one channel to stderr for its own words: warnings always, narration with
/// <c>--trace</c>. Each narration line carries the time since silo started, so a learner (and the
/// benchmark) can see where the time goes.
/// </summary>
internal sealed class HostLog
{
    private static readonly Stopwatch s_clock = Stopwatch.StartNew();

    // Narration counts from the moment the process started, so that the runtime's own start-up
    // (before any of silo's code runs) shows in the first line's time.
    private readonly double _startOffsetMs;
    private readonly TextWriter _stderr;
    private readonly Lock _lock = new();

    public HostLog(TextWriter stderr, bool trace)
    {
        _stderr = stderr;
        Tracing = trace;
        if (trace)
        {
            using var self = Process.GetCurrentProcess();
            _startOffsetMs = (DateTime.Now - self.StartTime).TotalMilliseconds - s_clock.Elapsed.TotalMilliseconds;
        }
    }

    public bool Tracing { get; }

    public void Trace(string source, string text)
    {
        if (Tracing)
        {
            Write($"silo: trace {_startOffsetMs + s_clock.Elapsed.TotalMilliseconds,8:F1} ms  {source}: {text}");
        }
    }

    public void Warn(string source, string text) =>
        Write($"silo: warning: {source}: {OneLine(text)}");

    public void Error(string text) => Write($"silo: {OneLine(text)}");

    /// <summary>
    /// A message as one line. A warning or an error of silo's is one line, but the text of an
    /// exception from a plugin or the runtime may not be (a missing assembly's ends in a line
    /// break): each line break and the blanks around it become one space.
    /// </summary>
    public static string OneLine(string text) =>
        string.Join(' ', text.Split(
            ['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>A view for one stage, which names the stage on each line.</summary>
    public IStageLog For(string stage) => new StageLog(this, stage);

    private void Write(string line)
    {
        lock (_lock)
        {
            _stderr.WriteLine(line);
            _stderr.Flush();
        }
    }

    private sealed class StageLog(HostLog log, string stage) : IStageLog
    {
        public void Step(string text) => log.Trace(stage, text);

        public void Warn(string text) => log.Warn(stage, text);
    }
}
