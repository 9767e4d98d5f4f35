using System.Text;

namespace Omni.Common.Metrics.Platform;

/// <summary>
/// The Prometheus name of a System.Diagnostics.Metrics instrument, as OpenTelemetry's Prometheus compatibility rules
/// give it: dots and other characters to '_', the unit as a suffix (s: _seconds, By: _bytes, 1: _ratio on gauges,
/// {annotations} dropped), and _total on counters. http.server.request.duration (s) is
/// http_server_request_duration_seconds; dotnet.gc.collections ({collection}) is dotnet_gc_collections_total. A gauge
/// whose name would end in a suffix Prometheus reserves for histograms (dotnet.timer.count) gets _value after it.
/// </summary>
public static class PrometheusNaming
{
    private static readonly Dictionary<string, string> Units = new(StringComparer.Ordinal)
    {
        ["s"] = "seconds",
        ["ms"] = "milliseconds",
        ["us"] = "microseconds",
        ["ns"] = "nanoseconds",
        ["By"] = "bytes",
        ["KiBy"] = "kibibytes",
        ["MiBy"] = "mebibytes",
        ["%"] = "percent",
    };

    private static readonly string[] ReservedSuffixes = ["_count", "_sum", "_bucket"];

    public static string MetricName(string instrumentName, string? unit, MetricType type)
    {
        ArgumentNullException.ThrowIfNull(instrumentName);
        var name = Sanitize(instrumentName);
        var suffix = UnitSuffix(unit, type);
        if (suffix.Length > 0 && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }
        if (type == MetricType.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }
        if (type == MetricType.Gauge && ReservedSuffixes.Any(reserved => name.EndsWith(reserved, StringComparison.Ordinal)))
        {
            name += "_value";
        }
        return name;
    }

    /// <summary>A tag key as a label name: http.response.status_code is http_response_status_code.</summary>
    public static string LabelName(string tagKey) => Sanitize(tagKey);

    private static string UnitSuffix(string? unit, MetricType type)
    {
        if (string.IsNullOrEmpty(unit) || unit.StartsWith('{'))
        {
            return string.Empty;
        }
        if (unit == "1")
        {
            return type == MetricType.Gauge ? "ratio" : string.Empty;
        }
        return Units.TryGetValue(unit, out var word) ? word : Sanitize(unit.Replace("/", "_per_", StringComparison.Ordinal));
    }

    private static string Sanitize(string text)
    {
        var name = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            name.Insert(0, '_');
        }
        return name.ToString();
    }
}
