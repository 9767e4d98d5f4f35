using System.Diagnostics;
using Omni.Common.Metrics;

namespace Omni.Common.Tests;

public sealed class HistogramExemplarTests
{
    private static readonly MetricDefinition Latency = new("vllm:test_exemplar_seconds", MetricType.Histogram, "Test.", ["model_name"], [0.5, 1]);

    [Fact]
    public void Observe_InSampledTrace_OpenMetricsBucketCarriesTheTraceId()
    {
        var registry = new MetricRegistry();
        var histogram = registry.Histogram(Latency).WithLabels("m");
        using var source = Listened(ActivitySamplingResult.AllDataAndRecorded);
        using var activity = source.StartActivity("request")!;

        histogram.Observe(0.75);

        var line = registry.Expose(ExpositionFormat.OpenMetrics).Split('\n').Single(l => l.StartsWith("vllm:test_exemplar_seconds_bucket{model_name=\"m\",le=\"1.0\"}", StringComparison.Ordinal));
        Assert.Matches($"^vllm:test_exemplar_seconds_bucket\\{{model_name=\"m\",le=\"1.0\"\\}} 1 # \\{{trace_id=\"{activity.TraceId.ToHexString()}\",span_id=\"{activity.SpanId.ToHexString()}\"\\}} 0.75 \\d+\\.\\d{{3}}$", line);
    }

    [Fact]
    public void Observe_UnsampledActivity_NoExemplar()
    {
        var registry = new MetricRegistry();
        var histogram = registry.Histogram(Latency).WithLabels("m");
        using var source = Listened(ActivitySamplingResult.PropagationData);
        using var activity = source.StartActivity("request")!;

        histogram.Observe(0.75);

        Assert.DoesNotContain(" # {", registry.Expose(ExpositionFormat.OpenMetrics), StringComparison.Ordinal);
    }

    [Fact]
    public void Expose_TextFormat_NoExemplars()
    {
        var registry = new MetricRegistry();
        var histogram = registry.Histogram(Latency).WithLabels("m");
        using var source = Listened(ActivitySamplingResult.AllDataAndRecorded);
        using var activity = source.StartActivity("request")!;

        histogram.Observe(0.75);

        Assert.DoesNotContain(" # {", registry.Expose(ExpositionFormat.Text), StringComparison.Ordinal);
    }

    private static ListenedSource Listened(ActivitySamplingResult sampling)
    {
        var name = $"Omni.Test.{Guid.NewGuid():N}";
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => sampling,
        };
        ActivitySource.AddActivityListener(listener);
        return new ListenedSource(new ActivitySource(name), listener);
    }

    private sealed class ListenedSource(ActivitySource source, ActivityListener listener) : IDisposable
    {
        public Activity? StartActivity(string name) => source.StartActivity(name);

        public void Dispose()
        {
            listener.Dispose();
            source.Dispose();
        }
    }
}
