using System.Globalization;
using System.Text;

namespace Omni.Common.Metrics;

/// <summary>Renders the metric reference of docs/metrics.md from the catalog, so the docs cannot drift from the code.</summary>
public static class MetricDocumentation
{
    public const string BeginMarker = "<!-- BEGIN GENERATED METRIC TABLES (MetricDocumentation.Render) -->";
    public const string EndMarker = "<!-- END GENERATED METRIC TABLES -->";

    public static string Render()
    {
        var output = new StringBuilder();
        output.Append(BeginMarker).Append('\n');
        Section(output, "Orchestrator (pipeline, modality and transfer families)", MetricCatalog.PipelineFamilies);
        Section(output, "AR stage", MetricCatalog.ArFamilies);
        Section(output, "Diffusion stage", MetricCatalog.DiffusionFamilies);
        Section(output, "Code-to-waveform (vocoder) stage", MetricCatalog.Code2WavFamilies);
        Section(output, "Every process (with the process's identity labels: model_name on the orchestrator; model_name, engine, stage_id, replica_id on a stage)",
            ProcessMetrics.Families);
        output.Append("\n### Every process: the platform's instruments\n\n")
            .Append("Every instrument of these System.Diagnostics.Metrics meters, with the same identity labels and each measurement's tags as ")
            .Append("further labels, named by OpenTelemetry's Prometheus rules (`.` to `_`, the unit as a suffix, `_total` on counters: ")
            .Append("`http.server.request.duration` is `http_server_request_duration_seconds`, `dotnet.gc.collections` is ")
            .Append("`dotnet_gc_collections_total`), histograms with the buckets the instrument advises: ")
            .AppendJoin(", ", Platform.MeterBridge.Meters.Select(meter => $"`{meter}`")).Append(".\n");
        output.Append("\n### Bucket sets\n\n| set | upper bounds |\n|---|---|\n");
        foreach (var (name, buckets) in BucketSets())
        {
            output.Append(CultureInfo.InvariantCulture, $"| {name} | {string.Join(' ', buckets.Select(MetricFamily.FormatValue))} |\n");
        }
        output.Append(EndMarker).Append('\n');
        return output.ToString();
    }

    private static void Section(StringBuilder output, string title, IEnumerable<MetricDefinition> families)
    {
        output.Append(CultureInfo.InvariantCulture, $"\n### {title}\n\n| family | type | labels | buckets | meaning |\n|---|---|---|---|---|\n");
        foreach (var family in families)
        {
            var labels = family.LabelNames.Length == 0 ? "-" : string.Join(", ", family.LabelNames);
            var type = family.Type.ToString().ToLowerInvariant();
            output.Append(CultureInfo.InvariantCulture, $"| `{family.Name}` | {type} | {labels} | {family.BucketSet ?? "-"} | {family.Help} |\n");
        }
    }

    private static IEnumerable<(string Name, double[] Buckets)> BucketSets() =>
    [
        ("REQ", MetricBuckets.Request),
        ("TTFT", MetricBuckets.TimeToFirstToken),
        ("ITL", MetricBuckets.InterTokenLatency),
        ("MS", MetricBuckets.Milliseconds),
        ("FAST_MS", MetricBuckets.FastMilliseconds),
        ("BYTES", MetricBuckets.Bytes),
        ("TOKENS", MetricBuckets.Tokens(MetricCatalog.TokenBucketLimit)),
        ("ITER_TOKENS", MetricBuckets.IterationTokens),
        ("PIXELS", MetricBuckets.ImagePixels),
        ("STEPS", MetricBuckets.InferenceSteps),
        ("AUDIO_S", MetricBuckets.AudioSeconds),
        ("RTF", MetricBuckets.RealTimeFactor),
        ("FAST_S", MetricBuckets.FastSeconds),
        ("FRAMES", MetricBuckets.ChunkFrames),
    ];
}
