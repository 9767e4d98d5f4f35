using Omni.DiffusionStage.Engine;

namespace Omni.DiffusionStage.Tests;

/// <summary>Records what an engine loop reports (thread-safe; the loop reports from its own thread).</summary>
internal sealed class RecordingEngineObserver : IDiffusionEngineObserver
{
    private readonly object gate = new();
    private readonly List<(int Step, TimeSpan Duration)> steps = [];
    private readonly List<DiffusionResult> completed = [];

    /// <summary>Called after each recorded step, on the engine thread, with the total number of steps recorded.</summary>
    public Action<int>? AfterStep { get; init; }

    public int MaxRunning { get; private set; }

    public int MaxWaiting { get; private set; }

    public (int Running, int Waiting) Last { get; private set; }

    /// <summary>
    /// The queue once the loop has reported it idle, or as last reported when <paramref name="timeout"/> passes. The
    /// loop reports its queue after it hands a batch's results over, so an awaited result can arrive first.
    /// </summary>
    public async Task<(int Running, int Waiting)> SettledQueueAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Last != (0, 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        return Last;
    }

    public IReadOnlyList<(int Step, TimeSpan Duration)> Steps
    {
        get
        {
            lock (gate)
            {
                return [.. steps];
            }
        }
    }

    public IReadOnlyList<DiffusionResult> Completed
    {
        get
        {
            lock (gate)
            {
                return [.. completed];
            }
        }
    }

    public void OnQueueChanged(int running, int waiting)
    {
        lock (gate)
        {
            MaxRunning = Math.Max(MaxRunning, running);
            MaxWaiting = Math.Max(MaxWaiting, waiting);
            Last = (running, waiting);
        }
    }

    public void OnStep(int stepIndex, TimeSpan duration)
    {
        int count;
        lock (gate)
        {
            steps.Add((stepIndex, duration));
            count = steps.Count;
        }

        AfterStep?.Invoke(count);
    }

    public void OnCompleted(DiffusionResult result)
    {
        lock (gate)
        {
            completed.Add(result);
        }
    }
}
