namespace Omni.Common.Hosting;

/// <summary>Process-wide metric settings.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>Turns metric collection off (vLLM's --disable-log-stats); /metrics then serves only process metrics.</summary>
    public bool DisableLogStats { get; set; }
}
