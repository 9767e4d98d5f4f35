using System.Globalization;

namespace Omni.Cli.Bench;

/// <summary>The points of a sweep: <c>rate=1,2,4,8</c> or <c>concurrency=1,4,16,64</c>.</summary>
public static class LoadSweep
{
    public static IReadOnlyList<LoadShape> Parse(string text, double burstiness)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('=', 2);
        if (parts.Length != 2 || parts[0] is not ("rate" or "concurrency"))
        {
            throw new FormatException($"'{text}' is not a sweep: use rate=1,2,4 or concurrency=1,4,16.");
        }
        var values = parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(value => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number > 0
                ? number
                : throw new FormatException($"'{value}' in '{text}' is not a positive number."))
            .ToList();
        return parts[0] == "rate"
            ? [.. values.Select(rate => (LoadShape)new LoadShape.Rate(rate, burstiness))]
            : [.. values.Select(clients => (LoadShape)new LoadShape.Concurrency(clients == Math.Floor(clients) ? (int)clients
                : throw new FormatException($"A concurrency is a whole number, not {clients}.")))];
    }

    /// <summary>"text=3,speech=1" into weights (text, image, both, speech).</summary>
    public static (double Text, double Image, double Both, double Speech) ParseMix(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var weights = new Dictionary<string, double> { ["text"] = 0, ["image"] = 0, ["both"] = 0, ["speech"] = 0 };
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split('=', 2);
            weights[pieces[0]] = pieces.Length == 2 && weights.ContainsKey(pieces[0])
                && double.TryParse(pieces[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight) && weight >= 0
                ? weight
                : throw new FormatException($"'{part}' is not a weight: use text=W, image=W, both=W, speech=W.");
        }
        return (weights["text"], weights["image"], weights["both"], weights["speech"]);
    }

    /// <summary>"8-32" or "20" into an inclusive range.</summary>
    public static (int Min, int Max) ParseRange(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('-', 2);
        var min = int.Parse(parts[0], CultureInfo.InvariantCulture);
        var max = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : min;
        return min > 0 && max >= min ? (min, max) : throw new FormatException($"'{text}' is not a range such as 8-32.");
    }

    /// <summary>"2-4", "2:4" or "3" (seconds) into an inclusive range within (0, <paramref name="limit"/>].</summary>
    public static (double Min, double Max) ParseSecondsRange(string text, double limit)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(text.Contains(':', StringComparison.Ordinal) ? ':' : '-', 2);
        var ok = double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var min);
        var max = min;
        ok &= parts.Length == 1 || double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out max);
        return ok && min > 0 && max >= min && max <= limit
            ? (min, max)
            : throw new FormatException($"'{text}' is not a range of seconds such as 2-4 or 2:4, within (0, {limit.ToString(CultureInfo.InvariantCulture)}].");
    }
}
