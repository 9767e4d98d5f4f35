using System.Diagnostics;
using System.Text;

namespace Omni.Common.Metrics;

/// <summary>
/// One histogram series: cumulative buckets, sum and count. Observations are lock-free. An observation made inside a
/// sampled trace (a recorded <see cref="Activity"/>) becomes its bucket's exemplar, shown to OpenMetrics scrapers.
/// </summary>
public sealed class Histogram
{
    private readonly double[] _upperBounds;
    private readonly long[] _bucketCounts;
    private readonly Exemplar?[] _exemplars;
    private double _sum;
    private long _count;

    internal Histogram(double[] upperBounds)
    {
        _upperBounds = upperBounds;
        _bucketCounts = new long[upperBounds.Length + 1];
        _exemplars = new Exemplar?[upperBounds.Length + 1];
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
        if (Activity.Current is { Recorded: true } traced)
        {
            Volatile.Write(ref _exemplars[index], new Exemplar(traced.TraceId.ToHexString(), traced.SpanId.ToHexString(), value,
                DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0));
        }
    }

    /// <summary>The latest exemplar of each bucket (+Inf last), null where no sampled observation fell.</summary>
    internal Exemplar?[] Exemplars()
    {
        var copy = new Exemplar?[_exemplars.Length];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Volatile.Read(ref _exemplars[i]);
        }
        return copy;
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

    protected override Histogram Create() => new(_bounds);

    internal override void Write(StringBuilder output, ExpositionFormat format)
    {
        WriteHeader(output, format, "histogram");
        foreach (var (labels, child) in Children)
        {
            WriteHistogram(output, format, Definition.Name, Definition.LabelNames, labels, child, _bounds);
        }
    }
}

/// <summary>An OpenMetrics exemplar: the trace of one observation, its value and when it was made (Unix seconds).</summary>
internal sealed record Exemplar(string TraceId, string SpanId, double Value, double Timestamp);

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
