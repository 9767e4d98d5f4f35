using System.Diagnostics;
using Omni.Common.Metrics;

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
        Assert.StartsWith("ok ", output, StringComparison.Ordinal);
    }

    private static MetricRegistry EveryFamily()
    {
        var registry = new MetricRegistry();
        foreach (var definition in MetricCatalog.PipelineFamilies.Concat(MetricCatalog.ArFamilies).Concat(MetricCatalog.DiffusionFamilies).DistinctBy(d => d.Name))
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
