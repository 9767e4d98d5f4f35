using System.Diagnostics.Metrics;

namespace Omni.Common.Metrics.Platform;

/// <summary>
/// Bridges the platform's own instruments (System.Diagnostics.Metrics: the .NET runtime, ASP.NET Core hosting,
/// Kestrel, HttpClient) into the registry, so they are scraped from the same /metrics as the engine families, in both
/// exposition formats, with the process's identity labels. Observable instruments are read at each scrape.
/// </summary>
public sealed class MeterBridge : IDisposable
{
    /// <summary>The meters bridged: every instrument they publish, now or later.</summary>
    public static readonly IReadOnlyList<string> Meters =
    [
        "System.Runtime",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
        "System.Net.Http",
    ];

    /// <summary>Histogram buckets of an instrument that advises none: OpenTelemetry's defaults, or ASP.NET Core's for seconds.</summary>
    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
    private static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private readonly MeterListener _listener = new();
    private readonly MetricRegistry _registry;
    private readonly string[] _identityNames;
    private readonly string[] _identityValues;

    /// <param name="registry">Where the families go.</param>
    /// <param name="identityNames">The process's identity labels, first on every series.</param>
    /// <param name="identityValues">Their values.</param>
    /// <param name="meters">The meters to bridge (default <see cref="Meters"/>).</param>
    public MeterBridge(MetricRegistry registry, string[] identityNames, string[] identityValues, IReadOnlyCollection<string>? meters = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var bridged = meters ?? Meters;
        _registry = registry;
        _identityNames = identityNames;
        _identityValues = identityValues;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (bridged.Contains(instrument.Meter.Name) && Bridge(instrument) is { } family)
            {
                // The instrument's kind travels with it, so that a measurement needs no type inspection.
                listener.EnableMeasurementEvents(instrument, new Bridged(family, KindOf(instrument)));
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, state) => Record(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<float>((instrument, value, tags, state) => Record(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) => Record(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, state) => Record(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<short>((instrument, value, tags, state) => Record(instrument, value, tags, state));
        _listener.SetMeasurementEventCallback<byte>((instrument, value, tags, state) => Record(instrument, value, tags, state));
        _listener.Start();
        registry.AddBeforeCollect(_listener.RecordObservableInstruments);
    }

    public void Dispose() => _listener.Dispose();

    private static void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var (family, kind) = (Bridged)state!;
        switch (kind)
        {
            case Kind.Delta:
                family.Add(value, tags);
                break;
            case Kind.Total:
                family.Set(value, tags);
                break;
            case Kind.Distribution:
                family.Observe(value, tags);
                break;
        }
    }

    private InstrumentFamily? Bridge(Instrument instrument)
    {
        var definition = KindOf(instrument) switch
        {
            Kind.Distribution => Definition(instrument, MetricType.Histogram),
            _ when IsMonotonic(instrument) => Definition(instrument, MetricType.Counter),
            _ => Definition(instrument, MetricType.Gauge),
        };
        var buckets = definition.Type == MetricType.Histogram ? Buckets(instrument) : null;
        return _registry.GetOrAddInstrument(definition, () => new InstrumentFamily(definition, _identityValues, buckets));
    }

    private MetricDefinition Definition(Instrument instrument, MetricType type) => new(
        PrometheusNaming.MetricName(instrument.Name, instrument.Unit, type), type,
        string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description, _identityNames)
    {
        Platform = true,
    };

    private static double[] Buckets(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => [.. advised],
        Histogram<long> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => [.. advised.Select(bound => (double)bound)],
        Histogram<int> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => [.. advised.Select(bound => (double)bound)],
        _ => instrument.Unit == "s" ? SecondsBuckets : DefaultBuckets,
    };

    private sealed record Bridged(InstrumentFamily Family, Kind Kind);

    private enum Kind
    {
        /// <summary>Each measurement is an increment (Counter, UpDownCounter).</summary>
        Delta,

        /// <summary>Each measurement is the current value (observable instruments, Gauge).</summary>
        Total,

        /// <summary>Each measurement is one observation (Histogram).</summary>
        Distribution,
    }

    private static Kind KindOf(Instrument instrument)
    {
        var type = instrument.GetType();
        var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (generic == typeof(Histogram<>))
        {
            return Kind.Distribution;
        }
        return generic == typeof(Counter<>) || generic == typeof(UpDownCounter<>) ? Kind.Delta : Kind.Total;
    }

    private static bool IsMonotonic(Instrument instrument)
    {
        var type = instrument.GetType();
        var generic = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        return generic == typeof(Counter<>) || generic == typeof(ObservableCounter<>);
    }
}
