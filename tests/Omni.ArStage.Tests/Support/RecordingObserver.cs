using System.Collections.Concurrent;
using Omni.ArStage.Engine;

namespace Omni.ArStage.Tests.Support;

/// <summary>Keeps everything an engine reports, for assertions (called from the engine thread, read from tests).</summary>
internal sealed class RecordingObserver : IArEngineObserver
{
    private readonly Lock _gate = new();
    private SchedulerState _lastState;

    public KvCacheConfig? CacheConfig { get; private set; }

    public ConcurrentQueue<EngineStepStats> Steps { get; } = new();

    public ConcurrentQueue<RequestStats> Finished { get; } = new();

    public ConcurrentQueue<SchedulerState> States { get; } = new();

    public int FirstTokens => _firstTokens;

    public int InterTokenLatencies => _interTokenLatencies;

    public SchedulerState LastState
    {
        get
        {
            lock (_gate)
            {
                return _lastState;
            }
        }
    }

    private int _firstTokens;
    private int _interTokenLatencies;

    public void OnCacheConfig(KvCacheConfig config) => CacheConfig = config;

    public void OnSchedulerState(SchedulerState state)
    {
        lock (_gate)
        {
            _lastState = state;
        }

        States.Enqueue(state);
    }

    public void OnStep(EngineStepStats step) => Steps.Enqueue(step);

    public void OnFirstToken(TimeSpan sinceArrival) => Interlocked.Increment(ref _firstTokens);

    public void OnInterTokenLatency(TimeSpan sincePreviousToken) => Interlocked.Increment(ref _interTokenLatencies);

    public void OnRequestFinished(RequestStats request) => Finished.Enqueue(request);

    /// <summary>Waits (briefly) until the engine has reported an idle state.</summary>
    public SchedulerState WaitForIdle()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (LastState != default && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        return LastState;
    }
}
