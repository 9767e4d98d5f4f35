namespace Omni.ArStage.Engine;

/// <summary>Observes nothing (engines used without metrics, e.g. in tests and benchmarks).</summary>
public sealed class NullArEngineObserver : IArEngineObserver
{
    public static readonly NullArEngineObserver Instance = new();

    public void OnCacheConfig(KvCacheConfig config)
    {
    }

    public void OnSchedulerState(SchedulerState state)
    {
    }

    public void OnStep(EngineStepStats step)
    {
    }

    public void OnFirstToken(TimeSpan sinceArrival)
    {
    }

    public void OnInterTokenLatency(TimeSpan sincePreviousToken)
    {
    }

    public void OnRequestFinished(RequestStats request)
    {
    }
}
