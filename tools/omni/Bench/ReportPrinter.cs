using System.Globalization;
using Spectre.Console;

namespace Omni.Cli.Bench;

/// <summary>
/// Prints benchmark points as tables: counts and throughput, latency percentiles, audio (when any request got audio), the
/// per-stage breakdown, and /metrics agreement.
/// </summary>
public static class ReportPrinter
{
    public static void Print(IAnsiConsole console, IReadOnlyList<PointResult> points)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(points);
        var overview = new Table().Title("Requests and throughput").AddColumns("load", "sent", "completed", "by status", "duration s", "req/s",
            "out tok/s", "images/s", "goodput req/s", "SLO met");
        foreach (var point in points)
        {
            overview.AddRow(point.Load, $"{point.Sent}", $"{point.Completed}", string.Join(" ", point.ByStatus.Select(pair => $"{pair.Key}:{pair.Value}")),
                F(point.DurationSeconds), F(point.RequestThroughput), F(point.OutputTokenThroughput), F(point.ImageThroughput),
                point.Goodput is { } goodput ? F(goodput) : "-", point.SloAttainment is { } met ? $"{met:P0}" : "-");
        }
        console.Write(overview);

        var latency = new Table().Title("Latency, ms (mean / p50 / p90 / p99)").AddColumns("load", "e2e", "TTFT", "ITL", "TPOT", "image TTFP", "queue");
        foreach (var point in points)
        {
            latency.AddRow(point.Load, Ms(point.E2e), Ms(point.Ttft), Ms(point.Itl), Ms(point.Tpot), Ms(point.ImageTtfp), Ms(point.Queue));
        }
        console.Write(latency);

        if (points.Any(point => point.AudioTtfp.Count > 0))
        {
            var audio = new Table().Title("Audio (mean / p50 / p90 / p99)").AddColumns("load", "with audio", "audio s/s", "audio TTFP ms", "audio RTF");
            foreach (var point in points)
            {
                audio.AddRow(point.Load, $"{point.AudioTtfp.Count}", F(point.AudioSecondThroughput), Ms(point.AudioTtfp), Ratio(point.AudioRtf));
            }
            console.Write(audio);
        }

        var stages = new Table().Title("Per stage and replica, and per transfer, ms (mean / p50 / p90 / p99)").AddColumns("load", "part", "calls", "time");
        foreach (var point in points)
        {
            foreach (var stage in point.Stages)
            {
                stages.AddRow(point.Load, $"{stage.Stage} (stage {stage.StageId}, replica {stage.ReplicaId})", $"{stage.Seconds.Count}", Ms(stage.Seconds));
            }
            foreach (var edge in point.Transfers)
            {
                stages.AddRow(point.Load, $"transfer {edge.FromStage} -> {edge.ToStage} ({edge.Connector}, {edge.MeanBytes / 1024:0} KiB)", $"{edge.Seconds.Count}",
                    Ms(edge.Seconds));
            }
        }
        console.Write(stages);

        if (points.Any(point => point.Metrics.Count > 0))
        {
            var metrics = new Table().Title("Client vs /metrics (counts exact, means within the bucket's width)")
                .AddColumns("load", "family", "quantity", "client", "/metrics", "tolerance", "");
            foreach (var point in points)
            {
                foreach (var agreement in point.Metrics)
                {
                    metrics.AddRow(Markup.Escape(point.Load), Markup.Escape(agreement.Family), Markup.Escape(agreement.Quantity), G(agreement.Client),
                        G(agreement.Server), G(agreement.Tolerance), agreement.Agrees ? "[green]agree[/]" : "[red]DISAGREE[/]");
                }
            }
            console.Write(metrics);
        }
    }

    private static string Ms(Summary summary) =>
        summary.Count == 0 ? "-" : $"{summary.Mean * 1000:0.0} / {summary.P50 * 1000:0.0} / {summary.P90 * 1000:0.0} / {summary.P99 * 1000:0.0}";

    private static string Ratio(Summary summary) =>
        summary.Count == 0 ? "-" : $"{summary.Mean:0.00} / {summary.P50:0.00} / {summary.P90:0.00} / {summary.P99:0.00}";

    private static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string G(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
