using System.Diagnostics;
using Omni.Common.Metrics;
using Omni.Common.Metrics.Platform;

namespace Omni.Common.Tests;

/// <summary>
/// Every family of the catalog, exposed in both formats, read back by the reference client's strict parsers
/// (Debian's python3-prometheus-client, installed by scripts/test.sh), with OpenMetrics' canonical <c>le</c> values.
/// </summary>
public sealed class OpenMetricsExpositionTests
{
    private const string Python = "/usr/bin/python3";

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.25, "0.25")]
    [InlineData(2560.0, "2560.0")]
    [InlineData(262144.0, "262144.0")]
    [InlineData(1048576.0, "1.048576e+06")]
    [InlineData(1000000.0, "1e+06")]
    [InlineData(268435456.0, "2.68435456e+08")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    public void CanonicalNumber_Value_AsTheReferenceClientWritesIt(double value, string expected)
    {
        Assert.Equal(expected, MetricFamily.CanonicalNumber(value));
    }

    [Fact]
    public void Expose_HelpWithAQuote_EscapedInOpenMetricsOnly()
    {
        var registry = new MetricRegistry();
        registry.Counter(new MetricDefinition("vllm:test_quoted_total", MetricType.Counter, "Says \"hi\".", [])).WithLabels().Inc();

        Assert.Contains("# HELP vllm:test_quoted Says \\\"hi\\\".\n", registry.Expose(ExpositionFormat.OpenMetrics));
        Assert.Contains("# HELP vllm:test_quoted_total Says \"hi\".\n", registry.Expose(ExpositionFormat.Text));
    }

    [Theory]
    [InlineData(ExpositionFormat.OpenMetrics, "openmetrics")]
    [InlineData(ExpositionFormat.Text, "text")]
    public async Task Expose_EveryCatalogFamily_ReadBackByTheReferenceParser(ExpositionFormat format, string name)
    {
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, EveryFamily().Expose(format));

        var (exitCode, output) = await RunAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "check_exposition.py"), name, path);

        Assert.True(exitCode == 0, output);
        Assert.Matches(format == ExpositionFormat.OpenMetrics ? "^ok [0-9]+ samples, [1-9][0-9]* exemplars" : "^ok [0-9]+ samples, 0 exemplars", output);
    }

    /// <summary>Every catalog family, histograms observed inside a sampled trace (exemplars), and the platform's families.</summary>
    private static MetricRegistry EveryFamily()
    {
        var registry = new MetricRegistry();
        ProcessMetrics.Register(registry, ["model_name"], ["m"]);
        using var meter = new System.Diagnostics.Metrics.Meter($"Omni.Test.{Guid.NewGuid():N}");
        using var bridge = new MeterBridge(registry, ["model_name"], ["m"], [meter.Name]);
        meter.CreateHistogram<double>("omni.test.duration", "s").Record(0.2, new KeyValuePair<string, object?>("http.route", "/a\"b"));
        meter.CreateCounter<long>("omni.test.things", "{thing}").Add(3);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Omni.Test.Exposition",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("Omni.Test.Exposition");
        using var trace = source.StartActivity("request");
        foreach (var definition in MetricCatalog.All)
        {
            var labels = definition.LabelNames.Select(label => $"{label}-value").ToArray();
            switch (definition.Type)
            {
                case MetricType.Counter:
                    registry.Counter(definition).WithLabels(labels).Inc(2);
                    break;
                case MetricType.Gauge:
                    registry.Gauge(definition).WithLabels(labels).Set(1.5);
                    break;
                default:
                    var histogram = registry.Histogram(definition).WithLabels(labels);
                    foreach (var bound in definition.Buckets!)
                    {
                        histogram.Observe(bound);
                    }
                    break;
            }
        }
        registry.Expose(ExpositionFormat.Text); // reads the platform's families while the bridge listens
        return registry;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: install Debian's python3 and python3-prometheus-client (scripts/test.sh does as root).");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
