using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Omni.Common.Metrics.Platform;

/// <summary>
/// The family of one bridged instrument. Each measurement's tags become labels after the process's identity labels,
/// so series of one family may differ in their label names (an error.type tag only on failed requests).
/// </summary>
internal sealed class InstrumentFamily(MetricDefinition definition, string[] identityValues, double[]? buckets) : MetricFamily(definition)
{
    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);

    public void Add(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => AtomicDouble.Add(ref Get(tags).Value, value);

    public void Set(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Volatile.Write(ref Get(tags).Value, value);

    public void Observe(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Get(tags).Histogram!.Observe(value);

    internal override void Write(StringBuilder output, ExpositionFormat format)
    {
        if (_series.IsEmpty)
        {
            return;
        }
        WriteHeader(output, format, Definition.Type.ToString().ToLowerInvariant());
        foreach (var (_, series) in _series.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            if (series.Histogram is { } histogram)
            {
                WriteHistogram(output, format, Definition.Name, series.LabelNames, series.LabelValues, histogram, buckets!);
            }
            else
            {
                WriteSample(output, Definition.Name, series.LabelNames, series.LabelValues, null, null, Volatile.Read(ref series.Value));
            }
        }
    }

    private Series Get(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = new StringBuilder();
        var pairs = new List<(string Name, string Value)>(tags.Length);
        foreach (var tag in tags)
        {
            pairs.Add((PrometheusNaming.LabelName(tag.Key), Format(tag.Value)));
        }
        pairs.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var (name, value) in pairs)
        {
            key.Append(name).Append('\u0001').Append(value).Append('\u0002');
        }
        var text = key.ToString();
        return _series.TryGetValue(text, out var found)
            ? found
            : _series.GetOrAdd(text, _ => new Series(
                [.. Definition.LabelNames, .. pairs.Select(pair => pair.Name).Where(name => !Definition.LabelNames.Contains(name))],
                [.. identityValues, .. pairs.Where(pair => !Definition.LabelNames.Contains(pair.Name)).Select(pair => pair.Value)],
                buckets is null ? null : new Histogram(buckets)));
    }

    private static string Format(object? value) => value switch
    {
        null => string.Empty,
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private sealed class Series(string[] labelNames, string[] labelValues, Histogram? histogram)
    {
        public string[] LabelNames { get; } = labelNames;

        public string[] LabelValues { get; } = labelValues;

        public Histogram? Histogram { get; } = histogram;

        public double Value;
    }
}
