using Prometheus;

namespace Omni.Common.Metrics;

/// <summary>Creates prometheus-net collectors from catalog definitions. Creating one twice returns the same collector.</summary>
public static class MetricFactoryExtensions
{
    public static Counter CreateCounter(this IMetricFactory factory, MetricDefinition definition)
    {
        Require(definition, MetricType.Counter);
        return factory.CreateCounter(definition.Name, definition.Help, definition.LabelNames);
    }

    public static Gauge CreateGauge(this IMetricFactory factory, MetricDefinition definition)
    {
        Require(definition, MetricType.Gauge);
        return factory.CreateGauge(definition.Name, definition.Help, definition.LabelNames);
    }

    public static Histogram CreateHistogram(this IMetricFactory factory, MetricDefinition definition)
    {
        Require(definition, MetricType.Histogram);
        return factory.CreateHistogram(definition.Name, definition.Help, definition.LabelNames,
            new HistogramConfiguration { Buckets = definition.Buckets });
    }

    private static void Require(MetricDefinition definition, MetricType type)
    {
        if (definition.Type != type)
        {
            throw new ArgumentException($"{definition.Name} is a {definition.Type}, not a {type}.", nameof(definition));
        }
    }
}
