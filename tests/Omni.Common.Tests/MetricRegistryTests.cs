using System.Diagnostics;
using Omni.Common.Metrics;
using Omni.Testing;

namespace Omni.Common.Tests;

public sealed class MetricRegistryTests
{
    private static readonly MetricDefinition Requests = new("vllm:test_requests_total", MetricType.Counter, "Requests.", ["model_name", "reason"]);
    private static readonly MetricDefinition Running = new("vllm:test_running", MetricType.Gauge, "Running.", ["model_name"]);
    private static readonly MetricDefinition Latency = new("vllm:test_latency_seconds", MetricType.Histogram, "Latency.", ["model_name"], [0.1, 1, 10]);

    [Fact]
    public void Expose_Histogram_WritesCumulativeBucketsSumAndCount()
    {
        var registry = new MetricRegistry();
        var latency = registry.Histogram(Latency).WithLabels("m");
        latency.Observe(0.05);
        latency.Observe(0.1);
        latency.Observe(5);
        latency.Observe(50);

        var text = registry.Expose(ExpositionFormat.Text);

        Assert.Contains("vllm:test_latency_seconds_bucket{model_name=\"m\",le=\"0.1\"} 2\n", text);
        Assert.Contains("vllm:test_latency_seconds_bucket{model_name=\"m\",le=\"1\"} 2\n", text);
        Assert.Contains("vllm:test_latency_seconds_bucket{model_name=\"m\",le=\"10\"} 3\n", text);
        Assert.Contains("vllm:test_latency_seconds_bucket{model_name=\"m\",le=\"+Inf\"} 4\n", text);
        Assert.Contains("vllm:test_latency_seconds_sum{model_name=\"m\"} 55.15\n", text);
        Assert.Contains("vllm:test_latency_seconds_count{model_name=\"m\"} 4\n", text);
    }

    [Fact]
    public void Expose_OpenMetrics_CounterFamilyDropsTotalAndEndsWithEof()
    {
        var registry = new MetricRegistry();
        registry.Counter(Requests).WithLabels("m", "stop").Inc(3);

        var text = registry.Expose(ExpositionFormat.OpenMetrics);

        Assert.Contains("# TYPE vllm:test_requests counter\n", text);
        Assert.Contains("vllm:test_requests_total{model_name=\"m\",reason=\"stop\"} 3\n", text);
        Assert.EndsWith("# EOF\n", text);
    }

    [Fact]
    public void Expose_LabelValueWithQuotes_IsEscaped()
    {
        var registry = new MetricRegistry();
        registry.Gauge(Running).WithLabels("a\"b\\c\nd").Set(1);

        Assert.Contains("vllm:test_running{model_name=\"a\\\"b\\\\c\\nd\"} 1\n", registry.Expose(ExpositionFormat.Text));
    }

    [Fact]
    public void WithLabels_WrongArity_Throws()
    {
        var registry = new MetricRegistry();

        Assert.Throws<ArgumentException>(() => registry.Counter(Requests).WithLabels("only-one"));
    }

    [Fact]
    public void Counter_SameNameOtherLabels_Throws()
    {
        var registry = new MetricRegistry();
        registry.Counter(Requests);

        Assert.Throws<InvalidOperationException>(() => registry.Counter(Requests with { LabelNames = ["model_name"] }));
    }

    [Fact]
    public void Counter_NegativeIncrement_Throws()
    {
        var counter = new MetricRegistry().Counter(Requests).WithLabels("m", "x");

        Assert.Throws<ArgumentOutOfRangeException>(() => counter.Inc(-1));
    }

    [Fact]
    public async Task Histogram_ConcurrentObservations_CountsEveryOne()
    {
        var histogram = new MetricRegistry().Histogram(Latency).WithLabels("m");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                histogram.Observe(0.5);
            }
        })));

        Assert.Equal(40_000, histogram.Count);
        Assert.Equal(20_000, histogram.Sum, 6);
    }

    [Fact]
    public async Task Expose_WholeCatalog_PassesPromtoolCheck()
    {
        var registry = new MetricRegistry();
        ProcessMetrics.Register(registry);
        foreach (var definition in MetricCatalog.All)
        {
            var values = definition.LabelNames.Select(label => label + "-value").ToArray();
            switch (definition.Type)
            {
                case MetricType.Counter: registry.Counter(definition).WithLabels(values).Inc(2); break;
                case MetricType.Gauge: registry.Gauge(definition).WithLabels(values).Set(1.5); break;
                case MetricType.Histogram: registry.Histogram(definition).WithLabels(values).Observe(3); break;
            }
        }

        var (exitCode, output) = await Promtool.CheckMetricsAsync(registry.Expose(ExpositionFormat.Text));

        Assert.True(exitCode is 0 or 3, output);
        Assert.Empty(Promtool.UnexpectedLintFindings(output));
    }
}
