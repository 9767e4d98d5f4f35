using System.Text;

namespace Omni.Common.Metrics;

/// <summary>One histogram series: cumulative buckets, sum and count. Observations are lock-free.</summary>
public sealed class Histogram
{
    private readonly double[] _upperBounds;
    private readonly long[] _bucketCounts;
    private double _sum;
    private long _count;

    internal Histogram(double[] upperBounds)
    {
        _upperBounds = upperBounds;
        _bucketCounts = new long[upperBounds.Length + 1];
    }

    public long Count => Interlocked.Read(ref _count);

    public double Sum => Volatile.Read(ref _sum);

    public void Observe(double value)
    {
        if (double.IsNaN(value))
        {
            return;
        }
        var index = Array.BinarySearch(_upperBounds, value);
        if (index < 0)
        {
            index = ~index;
        }
        Interlocked.Increment(ref _bucketCounts[index]);
        AtomicDouble.Add(ref _sum, value);
        Interlocked.Increment(ref _count);
    }

    /// <summary>Cumulative counts per upper bound, +Inf last, and the sum, read consistently enough for a scrape.</summary>
    internal (long[] Cumulative, double Sum, long Count) Snapshot()
    {
        var cumulative = new long[_bucketCounts.Length];
        long running = 0;
        for (var i = 0; i < _bucketCounts.Length; i++)
        {
            running += Interlocked.Read(ref _bucketCounts[i]);
            cumulative[i] = running;
        }
        return (cumulative, Sum, running);
    }
}

public sealed class HistogramFamily(MetricDefinition definition) : MetricFamily<Histogram>(definition)
{
    private readonly double[] _bounds = definition.Buckets is { Length: > 0 } buckets
        ? buckets
        : throw new ArgumentException($"Histogram {definition.Name} needs buckets.", nameof(definition));

    private readonly string[] _boundLabels = (definition.Buckets ?? []).Select(bound => MetricFamily.FormatValue(bound))
        .Append("+Inf").ToArray();

    // OpenMetrics requires canonical le values (1.0, 1.048576e+06); the text format keeps the short ones it always had.
    private readonly string[] _canonicalBoundLabels = (definition.Buckets ?? []).Select(MetricFamily.CanonicalNumber).Append("+Inf").ToArray();

    protected override Histogram Create() => new(_bounds);

    internal override void Write(StringBuilder output, ExpositionFormat format)
    {
        WriteHeader(output, format, "histogram");
        foreach (var (labels, child) in Children)
        {
            var (cumulative, sum, count) = child.Snapshot();
            for (var i = 0; i < cumulative.Length; i++)
            {
                WriteSample(output, Definition.Name + "_bucket", labels, "le",
                    format == ExpositionFormat.OpenMetrics ? _canonicalBoundLabels[i] : _boundLabels[i], cumulative[i]);
            }
            WriteSample(output, Definition.Name + "_sum", labels, null, null, sum);
            WriteSample(output, Definition.Name + "_count", labels, null, null, count);
        }
    }
}

internal static class AtomicDouble
{
    public static void Add(ref double target, double amount)
    {
        var current = Volatile.Read(ref target);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref target, current + amount, current);
            if (seen.Equals(current))
            {
                return;
            }
            current = seen;
        }
    }
}
