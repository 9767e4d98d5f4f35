using System.Diagnostics;

namespace Omni.Orchestrator.Routing;

/// <summary>
/// How long a replica has been silent, counted only while this orchestrator was itself running: a check that comes
/// late (the orchestrator paused by a GC, CPU throttling or an overloaded host) restarts the count, because no report
/// could have been read meanwhile and the silence says nothing about the replica. Timestamps are
/// <see cref="Stopwatch.GetTimestamp"/> values.
/// </summary>
public sealed class SilenceWatch(TimeSpan staleAfter, TimeSpan maxCheckGap, long start)
{
    private long _lastHeard = start;
    private long _lastCheck = start;

    /// <summary>A report arrived at <paramref name="timestamp"/>.</summary>
    public void Heard(long timestamp) => Interlocked.Exchange(ref _lastHeard, timestamp);

    /// <summary>The silence at <paramref name="now"/> when it is longer than the stale limit; null otherwise.</summary>
    public TimeSpan? Check(long now)
    {
        var sinceCheck = Stopwatch.GetElapsedTime(_lastCheck, now);
        _lastCheck = now;
        if (sinceCheck > maxCheckGap)
        {
            Heard(now);
            return null;
        }
        var silent = Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastHeard), now);
        return silent > staleAfter ? silent : null;
    }
}
