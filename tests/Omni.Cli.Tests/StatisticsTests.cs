using Grpc.Core;
using Omni.Cli.Bench;

namespace Omni.Cli.Tests;

public sealed class StatisticsTests
{
    [Theory]
    [InlineData(0.5, 2.5)]
    [InlineData(0.9, 3.7)]
    [InlineData(0.0, 1.0)]
    [InlineData(1.0, 4.0)]
    public void Percentile_KnownSample_NumpysLinearInterpolation(double q, double expected)
    {
        Assert.Equal(expected, Statistics.Percentile([1, 2, 3, 4], q), 10);
    }

    [Fact]
    public void Summarize_KnownSample_MeanAndPercentiles()
    {
        var summary = Statistics.Summarize(Enumerable.Range(1, 100).Select(i => (double)i));

        Assert.Equal((100, 50.5, 50.5, 90.1, 99.01, 100.0), (summary.Count, summary.Mean, summary.P50, Math.Round(summary.P90, 6), Math.Round(summary.P99, 6), summary.Max));
    }

    [Fact]
    public void Goodput_Objectives_CountsOnlyRequestsMeetingEveryApplicableOne()
    {
        var slo = Slo.Parse("ttft=100ms,e2e=1s");
        RequestRecord[] records =
        [
            new(0, RequestKind.Text, 0, StatusCode.OK) { Ttft = 0.05, E2e = 0.5 },        // meets both
            new(1, RequestKind.Text, 1, StatusCode.OK) { Ttft = 0.2, E2e = 0.5 },         // TTFT too slow
            new(2, RequestKind.Image, 2, StatusCode.OK) { E2e = 0.9, ImageTtfp = 0.9 },   // no text: TTFT does not apply
            new(3, RequestKind.Text, 3, StatusCode.ResourceExhausted),                      // failed
        ];

        var point = PointResult.From("rate=1/s", records, slo);

        Assert.Equal(0.5, point.SloAttainment);
        Assert.Equal(2 / point.DurationSeconds, point.Goodput!.Value, 10);
    }

    [Theory]
    [InlineData("250ms", 0.25)]
    [InlineData("1.5s", 1.5)]
    [InlineData("2", 2.0)]
    public void ParseDuration_Units_Seconds(string text, double seconds)
    {
        Assert.Equal(seconds, Slo.ParseDuration(text), 10);
    }

    [Fact]
    public void Parse_UnknownObjective_FormatException()
    {
        Assert.Throws<FormatException>(() => Slo.Parse("latency=1s"));
    }
}
