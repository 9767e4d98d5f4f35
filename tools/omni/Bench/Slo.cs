using System.Globalization;

namespace Omni.Cli.Bench;

/// <summary>
/// Service-level objectives a request must meet to count toward goodput:
/// <c>ttft=1s,e2e=10s,tpot=50ms,itl=100ms,image_ttfp=5s,audio_ttfp=2s,audio_rtf=1</c>. A request meets them when it
/// succeeded and each objective that applies to it (TTFT only when it produced text, the audio ones only when it got
/// audio) holds.
/// </summary>
/// <param name="Limits">Each objective's upper limit: seconds, except audio_rtf (a ratio).</param>
public sealed record Slo(IReadOnlyDictionary<string, double> Limits)
{
    /// <summary>The objective whose limit is a plain number rather than a duration.</summary>
    private const string AudioRtf = "audio_rtf";

    public static readonly IReadOnlyList<string> Names = ["ttft", "e2e", "tpot", "itl", "image_ttfp", "audio_ttfp", AudioRtf];

    public static Slo Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var objectives = new Dictionary<string, double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split('=', 2);
            if (pieces.Length != 2 || !Names.Contains(pieces[0]))
            {
                throw new FormatException(
                    $"'{part}' is not an objective: use {string.Join(", ", Names.Select(name => name + (name == AudioRtf ? "=RATIO" : "=DURATION")))}.");
            }
            objectives[pieces[0]] = pieces[0] == AudioRtf ? ParseRatio(pieces[1]) : ParseDuration(pieces[1]);
        }
        return new Slo(objectives);
    }

    /// <summary>"250ms", "1.5s" or a bare number of seconds.</summary>
    public static double ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : (text, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value * scale
            : throw new FormatException($"'{text}' is not a duration such as 250ms or 1.5s.");
    }

    /// <summary>A positive number such as 1 or 0.5.</summary>
    public static double ParseRatio(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value)
            ? value
            : throw new FormatException($"'{text}' is not a ratio such as 1 or 0.5.");
    }

    public bool IsMetBy(RequestRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!record.Succeeded)
        {
            return false;
        }
        foreach (var (name, limit) in Limits)
        {
            double? value = name switch
            {
                "ttft" => record.Ttft,
                "e2e" => record.E2e,
                "tpot" => record.Tpot,
                "itl" => record.Itl.Count > 0 ? record.Itl.Max() : null,
                "image_ttfp" => record.ImageTtfp,
                "audio_ttfp" => record.AudioTtfp,
                AudioRtf => record.AudioRtf,
                _ => null,
            };
            if (value is { } measured && measured > limit)
            {
                return false;
            }
        }
        return true;
    }

    public override string ToString() =>
        string.Join(',', Limits.Select(pair => $"{pair.Key}={pair.Value.ToString(CultureInfo.InvariantCulture)}{(pair.Key == AudioRtf ? "" : "s")}"));
}
