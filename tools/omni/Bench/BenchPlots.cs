using ScottPlot;

namespace Omni.Cli.Bench;

/// <summary>
/// The --plot charts (ScottPlot, PNG): latency percentiles against the offered load, throughput against the load,
/// and each point's mean time split by part (queue, each stage, each transfer) as stacked bars.
/// </summary>
public static class BenchPlots
{
    public static IReadOnlyList<string> Write(string directory, IReadOnlyList<PointResult> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        Directory.CreateDirectory(directory);
        var xs = points.Select((point, i) => LoadValue(point.Load) ?? i + 1).ToArray();
        var axis = points.Count > 0 && points[0].Load.StartsWith("rate", StringComparison.Ordinal) ? "offered load, requests/s" : "concurrent clients";
        var written = new List<string>();

        var latency = new Plot();
        foreach (var (name, pick) in new (string, Func<PointResult, Summary>)[] { ("TTFT", point => point.Ttft), ("e2e", point => point.E2e) })
        {
            foreach (var (label, percentile) in new (string, Func<Summary, double>)[] { ("p50", s => s.P50), ("p90", s => s.P90), ("p99", s => s.P99) })
            {
                var ys = points.Select(point => percentile(pick(point)) * 1000).ToArray();
                if (ys.Any(double.IsFinite))
                {
                    var line = latency.Add.Scatter(xs, ys);
                    line.LegendText = $"{label} {name}";
                }
            }
        }
        latency.Title("Latency against load");
        latency.XLabel(axis);
        latency.YLabel("milliseconds");
        latency.ShowLegend();
        written.Add(Save(latency, directory, "latency.png"));

        var throughput = new Plot();
        throughput.Add.Scatter(xs, points.Select(point => point.RequestThroughput).ToArray()).LegendText = "requests/s";
        if (points.Any(point => point.Goodput is not null))
        {
            throughput.Add.Scatter(xs, points.Select(point => point.Goodput ?? double.NaN).ToArray()).LegendText = "goodput requests/s";
        }
        if (points.Any(point => point.ImageThroughput > 0))
        {
            throughput.Add.Scatter(xs, points.Select(point => point.ImageThroughput).ToArray()).LegendText = "images/s";
        }
        if (points.Any(point => point.AudioSecondThroughput > 0))
        {
            throughput.Add.Scatter(xs, points.Select(point => point.AudioSecondThroughput).ToArray()).LegendText = "audio seconds/s";
        }
        throughput.Title("Throughput against load");
        throughput.XLabel(axis);
        throughput.YLabel("per second");
        throughput.ShowLegend();
        written.Add(Save(throughput, directory, "throughput.png"));

        var split = new Plot();
        var parts = points.SelectMany(Parts).Select(part => part.Name).Distinct().ToList();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < points.Count; i++)
        {
            var bottom = 0.0;
            foreach (var (name, ms) in Parts(points[i]))
            {
                split.Add.Bar(new Bar { Position = i, ValueBase = bottom, Value = bottom + ms, FillColor = palette.GetColor(parts.IndexOf(name)) });
                bottom += ms;
            }
        }
        foreach (var name in parts)
        {
            split.Legend.ManualItems.Add(new LegendItem { LabelText = name, FillColor = palette.GetColor(parts.IndexOf(name)) });
        }
        split.Axes.Bottom.SetTicks([.. Enumerable.Range(0, points.Count).Select(i => (double)i)], [.. points.Select(point => point.Load)]);
        split.Title("Mean time per request, by part");
        split.YLabel("milliseconds");
        split.ShowLegend();
        written.Add(Save(split, directory, "stages.png"));
        return written;
    }

    /// <summary>A point's mean time by part: queue, each stage (over its replicas), each transfer.</summary>
    private static IEnumerable<(string Name, double Milliseconds)> Parts(PointResult point)
    {
        if (point.Queue.Count > 0)
        {
            yield return ("queue", point.Queue.Mean * 1000);
        }
        foreach (var stage in point.Stages.GroupBy(stage => stage.Stage))
        {
            var calls = stage.Sum(replica => replica.Seconds.Count);
            yield return (stage.Key, calls == 0 ? 0 : stage.Sum(replica => replica.Seconds.Mean * replica.Seconds.Count) / calls * 1000);
        }
        foreach (var edge in point.Transfers)
        {
            yield return ($"transfer {edge.FromStage}->{edge.ToStage}", edge.Seconds.Mean * 1000);
        }
    }

    private static double? LoadValue(string load) =>
        double.TryParse(load.Split('=').ElementAtOrDefault(1)?.TrimEnd('/', 's'), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string Save(Plot plot, string directory, string name)
    {
        var path = Path.Combine(directory, name);
        plot.SavePng(path, 900, 540);
        return path;
    }
}
