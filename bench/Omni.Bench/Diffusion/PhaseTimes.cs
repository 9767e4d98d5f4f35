using System.Globalization;
using System.Text.RegularExpressions;

namespace Omni.Bench.Diffusion;

/// <summary>The diffusion phase histograms' sums and counts in one scrape of a stage's /metrics.</summary>
internal sealed partial record PhaseTimes(IReadOnlyDictionary<string, (double Sum, double Count)> Phases)
{
    public static readonly string[] Names = ["preprocess", "exec", "postprocess", "step"];

    public static PhaseTimes Parse(string exposition)
    {
        var phases = new Dictionary<string, (double, double)>();
        foreach (var name in Names)
        {
            phases[name] = (Value(exposition, name, "sum"), Value(exposition, name, "count"));
        }
        return new PhaseTimes(phases);
    }

    /// <summary>Mean milliseconds per observation between two scrapes.</summary>
    public double MeanSince(PhaseTimes before, string phase)
    {
        var (sum, count) = Phases[phase];
        var (sumBefore, countBefore) = before.Phases[phase];
        return count > countBefore ? (sum - sumBefore) / (count - countBefore) : double.NaN;
    }

    private static double Value(string exposition, string phase, string suffix)
    {
        foreach (Match match in Sample().Matches(exposition))
        {
            if (match.Groups["phase"].Value == phase && match.Groups["suffix"].Value == suffix)
            {
                return double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    [GeneratedRegex("^vllm:omni_diffusion_(?<phase>[a-z]+)_time_ms_(?<suffix>sum|count)\\{[^}]*\\} (?<value>[-+0-9.eE]+)$", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
