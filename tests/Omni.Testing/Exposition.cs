using System.Globalization;
using System.Text.RegularExpressions;

namespace Omni.Testing;

/// <summary>Reads samples out of a Prometheus text exposition.</summary>
public static partial class Exposition
{
    /// <summary>Sums every sample of one series name, optionally only those whose labels contain <paramref name="label"/> (<c>reason="x"</c>).</summary>
    public static double Sum(string exposition, string name, string? label = null)
    {
        ArgumentNullException.ThrowIfNull(exposition);
        return exposition.Split('\n')
            .Select(line => SampleLine().Match(line))
            .Where(match => match.Success && match.Groups["name"].Value == name
                && (label is null || match.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
            .Sum(match => double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\\{[^}]*\\})? (?<value>[-+0-9.eE]+|NaN)")]
    private static partial Regex SampleLine();
}
