namespace Omni.Common.Metrics;

public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>One metric family of the contract: name, type, help, label names and (for histograms) buckets.</summary>
public sealed record MetricDefinition(string Name, MetricType Type, string Help, string[] LabelNames, double[]? Buckets = null)
{
    /// <summary>Human-readable bucket set name for the docs.</summary>
    public string? BucketSet { get; init; }

    /// <summary>A family of the platform (process, runtime, server), exposed even with collection switched off.</summary>
    public bool Platform { get; init; }
}
