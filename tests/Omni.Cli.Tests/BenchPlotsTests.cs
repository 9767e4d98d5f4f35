using Omni.Cli.Bench;

namespace Omni.Cli.Tests;

public sealed class BenchPlotsTests
{
    [Fact]
    public void Write_TwoPoints_ThreePngCharts()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"omni-plots-{Guid.NewGuid():N}");
        var points = new[] { 1.0, 2.0 }.Select(rate => new PointResult($"rate={rate}/s", 10)
        {
            E2e = new Summary(5, 0.5 * rate, 0.5, 0.6, 0.7, 0.8),
            Ttft = new Summary(5, 0.05 * rate, 0.05, 0.06, 0.07, 0.08),
            Itl = Summary.Empty,
            Tpot = Summary.Empty,
            ImageTtfp = Summary.Empty,
            Queue = new Summary(5, 0.001, 0.001, 0.001, 0.001, 0.001),
            RequestThroughput = rate,
            Stages = [new StageSummary("ar", 0, 0, new Summary(5, 0.4, 0.4, 0.4, 0.4, 0.4))],
        }).ToList();

        var written = BenchPlots.Write(directory, points);

        Assert.Equal(["latency.png", "throughput.png", "stages.png"], written.Select(Path.GetFileName));
        Assert.All(written, path => Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(path)[..4]));
    }
}
