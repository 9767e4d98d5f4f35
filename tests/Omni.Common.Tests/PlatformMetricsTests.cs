using System.Diagnostics.Metrics;
using Omni.Common.Metrics;
using Omni.Common.Metrics.Platform;
using Omni.Testing;

namespace Omni.Common.Tests;

public sealed class PlatformMetricsTests
{
    private static readonly string[] Identity = ["model_name", "stage_id"];
    private static readonly string[] IdentityValues = ["m", "1"];

    [Fact]
    public void Bridge_CounterWithTags_ExposedAsTotalWithIdentityThenTagLabels()
    {
        using var meter = new Meter(NewMeterName());
        var (registry, bridge) = Bridge(meter);
        using var _ = bridge;
        var counter = meter.CreateCounter<long>("omni.test.requests", "{request}", "Requests.");

        counter.Add(2, new KeyValuePair<string, object?>("http.response.status_code", 200));
        counter.Add(3, new KeyValuePair<string, object?>("http.response.status_code", 200));

        var text = registry.Expose(ExpositionFormat.Text);
        Assert.Contains("# TYPE omni_test_requests_total counter\n", text);
        Assert.Contains("omni_test_requests_total{model_name=\"m\",stage_id=\"1\",http_response_status_code=\"200\"} 5\n", text);
    }

    [Fact]
    public void Bridge_UpDownCounter_ExposedAsGaugeSummingDeltas()
    {
        using var meter = new Meter(NewMeterName());
        var (registry, bridge) = Bridge(meter);
        using var _ = bridge;
        var connections = meter.CreateUpDownCounter<long>("omni.test.active_connections", "{connection}");

        connections.Add(3);
        connections.Add(-1);

        Assert.Equal(2, Exposition.Sum(registry.Expose(ExpositionFormat.Text), "omni_test_active_connections"));
    }

    [Fact]
    public void Bridge_ObservableGauge_ReadAtEachScrape()
    {
        using var meter = new Meter(NewMeterName());
        var (registry, bridge) = Bridge(meter);
        using var _ = bridge;
        var value = 1.5;
        meter.CreateObservableGauge("omni.test.heap.size", () => value, "By");

        var first = Exposition.Sum(registry.Expose(ExpositionFormat.Text), "omni_test_heap_size_bytes");
        value = 4;
        var second = Exposition.Sum(registry.Expose(ExpositionFormat.Text), "omni_test_heap_size_bytes");

        Assert.Equal((1.5, 4), (first, second));
    }

    [Fact]
    public void Bridge_HistogramWithAdvice_UsesTheAdvisedBuckets()
    {
        using var meter = new Meter(NewMeterName());
        var (registry, bridge) = Bridge(meter);
        using var _ = bridge;
        var duration = meter.CreateHistogram("omni.test.duration", "s", "Durations.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });

        duration.Record(0.5);
        duration.Record(5);

        var text = registry.Expose(ExpositionFormat.Text);
        Assert.Contains("omni_test_duration_seconds_bucket{model_name=\"m\",stage_id=\"1\",le=\"0.1\"} 0\n", text);
        Assert.Contains("omni_test_duration_seconds_bucket{model_name=\"m\",stage_id=\"1\",le=\"1\"} 1\n", text);
        Assert.Contains("omni_test_duration_seconds_bucket{model_name=\"m\",stage_id=\"1\",le=\"+Inf\"} 2\n", text);
        Assert.Contains("omni_test_duration_seconds_sum{model_name=\"m\",stage_id=\"1\"} 5.5\n", text);
    }

    [Fact]
    public void Bridge_NameOmniOwns_LeftToOmni()
    {
        using var meter = new Meter(NewMeterName());
        var registry = new MetricRegistry();
        registry.Gauge(new MetricDefinition("omni_test_owned", MetricType.Gauge, "Ours.", [])).WithLabels().Set(7);
        using var bridge = new MeterBridge(registry, Identity, IdentityValues, [meter.Name]);
        var gauge = meter.CreateUpDownCounter<int>("omni.test.owned");

        gauge.Add(1);

        Assert.Equal(7, Exposition.Sum(registry.Expose(ExpositionFormat.Text), "omni_test_owned"));
    }

    [Fact]
    public void Bridge_MeterNotBridged_Ignored()
    {
        using var meter = new Meter(NewMeterName());
        var registry = new MetricRegistry();
        using var bridge = new MeterBridge(registry, Identity, IdentityValues, ["Omni.Test.Other"]);

        meter.CreateCounter<int>("omni.test.ignored").Add(1);

        Assert.DoesNotContain("omni_test_ignored", registry.Expose(ExpositionFormat.Text), StringComparison.Ordinal);
    }

    [Fact]
    public void ProcessMetrics_Scrape_ReportsFileDescriptorsMemoryAndThreads()
    {
        var registry = new MetricRegistry();
        ProcessMetrics.Register(registry, Identity, IdentityValues);

        var text = registry.Expose(ExpositionFormat.Text);

        var open = Exposition.Sum(text, "process_open_fds");
        Assert.InRange(open, 3, Exposition.Sum(text, "process_max_fds"));
        Assert.True(Exposition.Sum(text, "process_virtual_memory_bytes") >= Exposition.Sum(text, "process_resident_memory_bytes"));
        Assert.True(Exposition.Sum(text, "process_num_threads") >= 1);
        Assert.Contains("process_start_time_seconds{model_name=\"m\",stage_id=\"1\"} ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Expose_CollectionDisabled_OnlyPlatformFamilies()
    {
        var registry = new MetricRegistry(collectionEnabled: false);
        registry.Counter(MetricCatalog.OmniRequestsSuccess).WithLabels("m", "stop").Inc();
        ProcessMetrics.Register(registry);

        var text = registry.Expose(ExpositionFormat.Text);

        Assert.DoesNotContain("vllm:", text, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total ", text, StringComparison.Ordinal);
    }

    private static (MetricRegistry Registry, MeterBridge Bridge) Bridge(Meter meter)
    {
        var registry = new MetricRegistry();
        return (registry, new MeterBridge(registry, Identity, IdentityValues, [meter.Name]));
    }

    private static string NewMeterName() => $"Omni.Test.{Guid.NewGuid():N}";
}
