namespace Omni.Common.Hosting;

/// <summary>Process-wide metric settings.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>
    /// Turns metric collection off (vLLM's --disable-log-stats): the service's own families (engine, pipeline,
    /// transfer) are neither updated nor exposed; /metrics then serves only the platform's (process, runtime, server).
    /// </summary>
    public bool DisableLogStats { get; set; }
}
