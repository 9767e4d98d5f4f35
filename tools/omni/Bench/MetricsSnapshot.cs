using System.Globalization;
using System.Text.RegularExpressions;

namespace Omni.Cli.Bench;

/// <summary>One sample of a Prometheus text exposition.</summary>
public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>Every sample of the services' /metrics at one moment.</summary>
public sealed partial class MetricsSnapshot(IReadOnlyList<Sample> samples)
{
    public IReadOnlyList<Sample> Samples { get; } = samples;

    public static MetricsSnapshot Parse(string exposition)
    {
        ArgumentNullException.ThrowIfNull(exposition);
        var samples = new List<Sample>();
        foreach (var line in exposition.Split('\n'))
        {
            var match = SampleLine().Match(line.TrimEnd('\r'));
            if (!match.Success)
            {
                continue;
            }
            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(pair => pair.Groups["key"].Value, pair => Regex.Unescape(pair.Groups["value"].Value));
            samples.Add(new Sample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
        return new MetricsSnapshot(samples);
    }

    /// <summary>Scrapes every URL and keeps all their samples together.</summary>
    public static async Task<MetricsSnapshot> CaptureAsync(HttpClient http, IEnumerable<string> urls, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        var texts = await Task.WhenAll(urls.Select(url => http.GetStringAsync(url, cancellationToken))).ConfigureAwait(false);
        return new MetricsSnapshot([.. texts.SelectMany(text => Parse(text).Samples)]);
    }

    /// <summary>Sums the samples of one series name whose labels pass <paramref name="where"/>.</summary>
    public double Sum(string name, Func<IReadOnlyDictionary<string, string>, bool>? where = null) =>
        Samples.Where(sample => sample.Name == name && (where is null || where(sample.Labels))).Sum(sample => sample.Value);

    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?<labels>[^}]*)\\})? (?<value>[-+0-9.eE]+|NaN|[+-]Inf)")]
    private static partial Regex SampleLine();

    [GeneratedRegex("(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=\"(?<value>(\\\\.|[^\"\\\\])*)\"")]
    private static partial Regex LabelPair();
}
