using System.Collections.Concurrent;
using System.Text;

namespace Omni.Common.Metrics;

/// <summary>
/// The families of one process, exposed in Prometheus text format 0.0.4 or OpenMetrics 1.0. Our own, because the
/// contract's vLLM names contain ':' and prometheus-net 8 rejects such names. Getting a family twice returns the
/// same family (several engines or test hosts in one process); a name reused with another type or labels throws.
/// With collection switched off (vLLM's --disable-log-stats) only the platform's families are exposed.
/// </summary>
public sealed class MetricRegistry(bool collectionEnabled = true)
{
    private readonly ConcurrentDictionary<string, MetricFamily> _families = new();
    private readonly List<Action> _beforeCollect = [];

    public CounterFamily Counter(MetricDefinition definition) => GetOrAdd(definition, MetricType.Counter, d => new CounterFamily(d));

    public GaugeFamily Gauge(MetricDefinition definition) => GetOrAdd(definition, MetricType.Gauge, d => new GaugeFamily(d));

    public HistogramFamily Histogram(MetricDefinition definition) => GetOrAdd(definition, MetricType.Histogram, d => new HistogramFamily(d));

    /// <summary>Runs before every scrape, to refresh values read from elsewhere (process statistics).</summary>
    public void AddBeforeCollect(Action callback)
    {
        lock (_beforeCollect)
        {
            _beforeCollect.Add(callback);
        }
    }

    public string Expose(ExpositionFormat format)
    {
        lock (_beforeCollect)
        {
            foreach (var callback in _beforeCollect)
            {
                callback();
            }
        }
        var output = new StringBuilder();
        foreach (var family in _families.Values.Where(family => collectionEnabled || family.Definition.Platform)
            .OrderBy(family => family.Definition.Name, StringComparer.Ordinal))
        {
            family.Write(output, format);
        }
        if (format == ExpositionFormat.OpenMetrics)
        {
            output.Append("# EOF\n");
        }
        return output.ToString();
    }

    /// <summary>
    /// The family of a bridged instrument (the first definition of a name wins: instruments of one name agree), or
    /// null where Omni's own code already owns the name.
    /// </summary>
    internal Platform.InstrumentFamily? GetOrAddInstrument(MetricDefinition definition, Func<Platform.InstrumentFamily> create)
    {
        MetricNames.Validate(definition);
        return _families.GetOrAdd(definition.Name, _ => create()) as Platform.InstrumentFamily;
    }

    private TFamily GetOrAdd<TFamily>(MetricDefinition definition, MetricType type, Func<MetricDefinition, TFamily> create)
        where TFamily : MetricFamily
    {
        if (definition.Type != type)
        {
            throw new ArgumentException($"{definition.Name} is a {definition.Type}, not a {type}.", nameof(definition));
        }
        MetricNames.Validate(definition);
        var family = _families.GetOrAdd(definition.Name, _ => create(definition));
        if (family is not TFamily typed || !family.Definition.LabelNames.SequenceEqual(definition.LabelNames)
            || !(family.Definition.Buckets ?? []).SequenceEqual(definition.Buckets ?? []))
        {
            throw new InvalidOperationException($"Metric {definition.Name} is already registered with another type, labels or buckets.");
        }
        return typed;
    }
}

public enum ExpositionFormat
{
    /// <summary>Prometheus text format 0.0.4.</summary>
    Text,

    /// <summary>OpenMetrics 1.0.</summary>
    OpenMetrics,
}
