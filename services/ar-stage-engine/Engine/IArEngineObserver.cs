namespace Omni.ArStage.Engine;

/// <summary>
/// What the engine loop reports, on its own thread: the metrics implement it. Implementations must be cheap and
/// must not throw; the engine knows nothing about how the numbers are exported.
/// </summary>
public interface IArEngineObserver
{
    /// <summary>Once, when the engine starts: how its KV cache is configured.</summary>
    void OnCacheConfig(KvCacheConfig config);

    /// <summary>The queues and the KV cache usage: whenever the queue lengths change, at most once per interval otherwise, and when idle.</summary>
    void OnSchedulerState(SchedulerState state);

    /// <summary>After every engine step.</summary>
    void OnStep(EngineStepStats step);

    /// <summary>A request's first generated token, <paramref name="sinceArrival"/> after it arrived.</summary>
    void OnFirstToken(TimeSpan sinceArrival);

    /// <summary>A generated token after the first, <paramref name="sincePreviousToken"/> after the one before.</summary>
    void OnInterTokenLatency(TimeSpan sincePreviousToken);

    /// <summary>A request left the engine: finished, stopped, or aborted (cancelled, deadline, failure).</summary>
    void OnRequestFinished(RequestStats request);
}
