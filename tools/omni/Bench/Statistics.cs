namespace Omni.Cli.Bench;

/// <summary>Summary statistics of a sample, as the report prints them.</summary>
public sealed record Summary(int Count, double Mean, double P50, double P90, double P99, double Max)
{
    public static readonly Summary Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
}

public static class Statistics
{
    /// <summary>The q-quantile (0..1) with linear interpolation between order statistics (numpy's default).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return double.NaN;
        }
        var position = q * (sorted.Count - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }

    public static Summary Summarize(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToList();
        return sorted.Count == 0
            ? Summary.Empty
            : new Summary(sorted.Count, sorted.Average(), Percentile(sorted, 0.5), Percentile(sorted, 0.9), Percentile(sorted, 0.99), sorted[^1]);
    }
}
