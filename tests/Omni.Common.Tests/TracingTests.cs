using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Omni.Common.Tracing;

namespace Omni.Common.Tests;

public sealed class TracingTests
{
    [Theory]
    [InlineData(null, null, null, false)]
    [InlineData("http://collector:4317", null, null, true)]
    [InlineData(null, "http://collector:4318/v1/traces", null, true)]
    [InlineData("http://collector:4317", null, "true", false)]
    [InlineData("http://collector:4317", null, "false", true)]
    public void IsEnabled_OtelVariables_OnOnlyWithAnEndpointAndNotDisabled(string? endpoint, string? tracesEndpoint, string? disabled, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TracingDefaults.EndpointVariable] = endpoint,
            [TracingDefaults.TracesEndpointVariable] = tracesEndpoint,
            [TracingDefaults.DisabledVariable] = disabled,
        }).Build();

        Assert.Equal(expected, TracingDefaults.IsEnabled(configuration));
    }

    [Fact]
    public void Record_MeasuredPhases_BackToBackChildSpansAfterTheQueue()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == OmniTrace.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var parent = OmniTrace.Source.StartActivity("test.process")!;
        var submitted = Stopwatch.GetTimestamp() - Stopwatch.Frequency; // a second ago

        PhaseSpans.Record("test", submitted, [("prefill", TimeSpan.FromMilliseconds(200)), ("decode", TimeSpan.FromMilliseconds(300))]);

        var spans = stopped.Where(span => span.ParentSpanId == parent.SpanId).ToDictionary(span => span.OperationName);
        Assert.Equal(["test.decode", "test.prefill", "test.queue"], spans.Keys.Order());
        Assert.Equal(200, spans["test.prefill"].Duration.TotalMilliseconds, 0.001);
        Assert.Equal(300, spans["test.decode"].Duration.TotalMilliseconds, 0.001);
        Assert.Equal(spans["test.prefill"].StartTimeUtc + spans["test.prefill"].Duration, spans["test.decode"].StartTimeUtc);
        Assert.Equal(spans["test.queue"].StartTimeUtc + spans["test.queue"].Duration, spans["test.prefill"].StartTimeUtc);
        Assert.InRange(spans["test.queue"].Duration.TotalMilliseconds, 500, 600);
    }

    [Fact]
    public void Record_NoSampledParent_RecordsNothing()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == OmniTrace.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var parent = OmniTrace.Source.StartActivity("test.unsampled");

        PhaseSpans.Record("test", Stopwatch.GetTimestamp(), [("decode", TimeSpan.FromMilliseconds(1))]);

        Assert.DoesNotContain(stopped, span => span.OperationName == "test.decode" && span.ParentSpanId == parent?.SpanId);
    }
}
