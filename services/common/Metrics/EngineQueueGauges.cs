namespace Omni.Common.Metrics;

/// <summary>An engine's vllm:num_requests_running and vllm:num_requests_waiting for one replica, set together.</summary>
public sealed class EngineQueueGauges
{
    private readonly bool _enabled;
    private readonly Gauge _running;
    private readonly Gauge _waiting;

    /// <param name="labels">The replica's identity label values (model_name, engine, stage_id, replica_id).</param>
    /// <param name="enabled">False: collection is off (--disable-log-stats) and nothing is set.</param>
    public EngineQueueGauges(MetricRegistry registry, string[] labels, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _enabled = enabled;
        _running = registry.Gauge(MetricCatalog.NumRequestsRunning).WithLabels(labels);
        _waiting = registry.Gauge(MetricCatalog.NumRequestsWaiting).WithLabels(labels);
    }

    public void Set(int running, int waiting)
    {
        if (_enabled)
        {
            _running.Set(running);
            _waiting.Set(waiting);
        }
    }
}
