using System.Diagnostics;
using Omni.Orchestrator.Routing;

namespace Omni.Orchestrator.Tests;

public sealed class SilenceWatchTests
{
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxCheckGap = TimeSpan.FromSeconds(1);

    private static long At(double seconds) => (long)(seconds * Stopwatch.Frequency);

    /// <summary>Checks every 250 ms from <paramref name="from"/> to <paramref name="to"/>; the last check's result.</summary>
    private static TimeSpan? CheckEvery250Ms(SilenceWatch watch, double from, double to)
    {
        TimeSpan? last = null;
        for (var t = from; t <= to + 1e-9; t += 0.25)
        {
            last = watch.Check(At(t));
        }
        return last;
    }

    [Fact]
    public void Check_SilentLongerThanTheLimitWhileCheckedOnTime_ReportsTheSilence()
    {
        var watch = new SilenceWatch(StaleAfter, MaxCheckGap, At(0));

        var silence = CheckEvery250Ms(watch, 0.25, 3.25);

        Assert.Equal(3.25, silence!.Value.TotalSeconds, 3);
    }

    [Fact]
    public void Check_ReportsEverySecond_NeverStale()
    {
        var watch = new SilenceWatch(StaleAfter, MaxCheckGap, At(0));
        var stale = new List<TimeSpan>();

        for (var t = 0.25; t <= 20; t += 0.25)
        {
            if (t % 1 == 0)
            {
                watch.Heard(At(t));
            }
            if (watch.Check(At(t)) is { } silence)
            {
                stale.Add(silence);
            }
        }

        Assert.Empty(stale);
    }

    [Fact]
    public void Check_AfterThisOrchestratorWasPausedFiveSeconds_RestartsTheCount()
    {
        var watch = new SilenceWatch(StaleAfter, MaxCheckGap, At(0));
        CheckEvery250Ms(watch, 0.25, 1);

        var afterPause = watch.Check(At(6));
        var justUnderTheLimit = CheckEvery250Ms(watch, 6.25, 9);

        Assert.Null(afterPause);
        Assert.Null(justUnderTheLimit);
    }

    [Fact]
    public void Check_StillSilentAfterThePause_StaleOneLimitAfterResuming()
    {
        var watch = new SilenceWatch(StaleAfter, MaxCheckGap, At(0));
        watch.Check(At(6));

        var silence = CheckEvery250Ms(watch, 6.25, 9.25);

        Assert.Equal(3.25, silence!.Value.TotalSeconds, 3);
    }
}
