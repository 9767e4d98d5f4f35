namespace Omni.Common.Metrics.Platform;

/// <summary>
/// The platform's metrics of one process on its /metrics: the standard process families and the bridged runtime,
/// ASP.NET Core, Kestrel and HttpClient instruments, all with the process's identity labels (the orchestrator's
/// model_name; a stage replica's model_name, engine, stage_id and replica_id).
/// </summary>
public sealed class PlatformMetrics(MetricRegistry registry) : IDisposable
{
    private MeterBridge? _bridge;

    public void Start(string[] identityNames, string[] identityValues)
    {
        ArgumentNullException.ThrowIfNull(identityNames);
        ArgumentNullException.ThrowIfNull(identityValues);
        if (_bridge is not null)
        {
            throw new InvalidOperationException("The platform metrics are already started.");
        }
        ProcessMetrics.Register(registry, identityNames, identityValues);
        _bridge = new MeterBridge(registry, identityNames, identityValues);
    }

    public void Dispose() => _bridge?.Dispose();
}
