using System.Globalization;
using System.Text.RegularExpressions;

namespace Omni.DiffusionStage.IntegrationTests;

/// <summary>The diffusion stage's metrics as a real Prometheus sees them.</summary>
[Collection(DiffusionStageCollection.Name)]
public sealed class PrometheusScrapeTests(DiffusionStageFixture fixture)
{
    private const string Labels = "model_name=\"omni-dit-default\",engine=\"10000\",stage_id=\"1\",replica_id=\"0\"";
    private static readonly HttpClient Http = new();
    private static readonly string[] Phases = ["preprocess", "exec", "postprocess"];

    [Fact]
    public async Task Scrape_NRequestsOfSSteps_ExecCountNAndStepCountNTimesS()
    {
        const int requests = 3;
        const int steps = 4;
        var before = await SettledCountsAsync();

        // Concurrent, so that two of them share batches (--max-batch-size 2) and one runs alone for a while.
        await Task.WhenAll(Enumerable.Range(0, requests).Select(i => StageCall.RunAsync(fixture.Client,
            StageCall.Header(StageCall.Small(steps: steps, seed: (ulong)i)), [StageCall.Tensor(StageCall.HiddenStates, 3 + i, seed: i)])));

        foreach (var phase in Phases)
        {
            Assert.Equal(before[phase] + requests, await WaitForCountAsync(phase, before[phase] + requests));
        }
        Assert.Equal(before["step"] + (requests * steps), await WaitForCountAsync("step", before["step"] + (requests * steps)));
        Assert.Equal(0, await fixture.Prometheus.WaitForAsync($"vllm:num_requests_running{{{Labels}}}", value => value == 0));
    }

    /// <summary>Each histogram's count once Prometheus agrees with the stage's own /metrics (nothing in flight).</summary>
    private async Task<Dictionary<string, double>> SettledCountsAsync()
    {
        var exposition = await Http.GetStringAsync(fixture.Service.MetricsAddress);
        var counts = new Dictionary<string, double>();
        foreach (var phase in Phases.Append("step"))
        {
            var direct = Count(exposition, phase);
            Assert.Equal(direct, await WaitForCountAsync(phase, direct));
            counts[phase] = direct;
        }
        return counts;
    }

    private Task<double> WaitForCountAsync(string phase, double expected) =>
        fixture.Prometheus.WaitForAsync($"vllm:omni_diffusion_{phase}_time_ms_count{{{Labels}}}", value => value == expected);

    private static double Count(string exposition, string phase)
    {
        var match = CountLine(phase).Match(exposition);
        return match.Success ? double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static Regex CountLine(string phase) =>
        new($"^vllm:omni_diffusion_{phase}_time_ms_count\\{{{Regex.Escape(Labels)}\\}} (?<value>[0-9.eE+]+)$", RegexOptions.Multiline);
}
