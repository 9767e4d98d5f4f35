using Omni.Cli.Bench;

namespace Omni.Cli.Tests;

public sealed class ArrivalProcessTests
{
    [Theory]
    [InlineData(2.0, 1.0)]
    [InlineData(10.0, 0.5)]
    [InlineData(0.5, 4.0)]
    public void NextGap_LongSeededRun_MeanRateWithinTwoPercent(double rate, double burstiness)
    {
        var arrivals = new ArrivalProcess(rate, burstiness, 3);

        var seconds = Enumerable.Range(0, 40_000).Sum(_ => arrivals.NextGap().TotalSeconds);

        Assert.InRange(40_000 / seconds, rate * 0.98, rate * 1.02);
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(0.25, 2.0)]
    [InlineData(4.0, 0.5)]
    public void NextGap_Burstiness_CoefficientOfVariationIsOneOverItsSquareRoot(double burstiness, double expected)
    {
        var arrivals = new ArrivalProcess(5, burstiness, 7);

        var gaps = Enumerable.Range(0, 40_000).Select(_ => arrivals.NextGap().TotalSeconds).ToList();
        var mean = gaps.Average();
        var deviation = Math.Sqrt(gaps.Sum(gap => (gap - mean) * (gap - mean)) / gaps.Count);

        Assert.InRange(deviation / mean, expected * 0.95, expected * 1.05);
    }

    [Fact]
    public void NextGap_SameSeed_SameGaps()
    {
        var first = new ArrivalProcess(3, 1, 11);
        var second = new ArrivalProcess(3, 1, 11);

        Assert.Equal(Enumerable.Range(0, 100).Select(_ => first.NextGap()), Enumerable.Range(0, 100).Select(_ => second.NextGap()));
    }

    [Fact]
    public void Constructor_ZeroRate_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArrivalProcess(0, 1, 1));
    }
}
