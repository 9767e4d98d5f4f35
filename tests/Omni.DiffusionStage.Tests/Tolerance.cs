namespace Omni.DiffusionStage.Tests;

internal static class Tolerance
{
    /// <summary>Asserts |actual - expected| &lt;= rel * |expected| elementwise (exact match required for 0).</summary>
    public static void AssertRelative(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double rel, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var limit = rel * Math.Abs(expected[i]);
            var error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= limit, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (relative error {error / Math.Abs(expected[i]):E3} > {rel:E1})");
        }
    }
}
