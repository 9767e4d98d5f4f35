namespace Omni.ArStage.Engine;

/// <summary>
/// Passes what the engine reports on to its observer, except traffic while switched off: the engine's own warm-up
/// (<see cref="ArEngine.WarmUp"/>) is nobody's request, so it must not show in the metrics. The cache configuration
/// always passes.
/// </summary>
internal sealed class ObserverSwitch(IArEngineObserver inner) : IArEngineObserver
{
    private volatile bool _off;

    public bool Off
    {
        get => _off;
        set => _off = value;
    }

    public void OnCacheConfig(KvCacheConfig config) => inner.OnCacheConfig(config);

    public void OnSchedulerState(SchedulerState state)
    {
        if (!_off)
        {
            inner.OnSchedulerState(state);
        }
    }

    public void OnStep(EngineStepStats step)
    {
        if (!_off)
        {
            inner.OnStep(step);
        }
    }

    public void OnFirstToken(TimeSpan sinceArrival)
    {
        if (!_off)
        {
            inner.OnFirstToken(sinceArrival);
        }
    }

    public void OnInterTokenLatency(TimeSpan sincePreviousToken)
    {
        if (!_off)
        {
            inner.OnInterTokenLatency(sincePreviousToken);
        }
    }

    public void OnRequestFinished(RequestStats request)
    {
        if (!_off)
        {
            inner.OnRequestFinished(request);
        }
    }
}
