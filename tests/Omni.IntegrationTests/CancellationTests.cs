using System.Text.RegularExpressions;
using Grpc.Core;

namespace Omni.IntegrationTests;

[Collection(PipelineCollection.Name)]
public sealed partial class CancellationTests(PipelineFixture fixture)
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task Generate_ClientCancels_StageStopsAndKeepsServing()
    {
        var ar = fixture.Pipeline.ArStages[0];
        using var cancel = new CancellationTokenSource();
        var request = Requests.Text(maxTokens: 4000);
        var firstText = new TaskCompletionSource();

        var call = fixture.Client.GenerateAsync(request, _ => firstText.TrySetResult(), cancellationToken: cancel.Token);
        await firstText.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await GaugeAsync(ar.MetricsAddress, "vllm:num_requests_running"));
        cancel.Cancel();

        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await GaugeAsync(ar.MetricsAddress, "vllm:num_requests_running") != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal(0, await GaugeAsync(ar.MetricsAddress, "vllm:num_requests_running"));
        while (await GaugeAsync(ar.MetricsAddress, "vllm:kv_cache_usage_perc") != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal(0, await GaugeAsync(ar.MetricsAddress, "vllm:kv_cache_usage_perc"));
        var next = await fixture.Client.GenerateAsync(Requests.Text(maxTokens: 3));
        Assert.Equal(3u, next.Final.Usage.CompletionTokens);
    }

    [Fact]
    public async Task Generate_ClientCancels_OrchestratorCountsClientCancelled()
    {
        var orchestrator = fixture.Pipeline.Orchestrator;
        var before = await CounterAsync(orchestrator.MetricsAddress, "vllm:omni_requests_failed_total", "client_cancelled");
        using var cancel = new CancellationTokenSource();
        var firstText = new TaskCompletionSource();

        var call = fixture.Client.GenerateAsync(Requests.Text(maxTokens: 4000), _ => firstText.TrySetResult(), cancellationToken: cancel.Token);
        await firstText.Task.WaitAsync(TimeSpan.FromSeconds(60));
        cancel.Cancel();
        await Assert.ThrowsAsync<RpcException>(() => call);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await CounterAsync(orchestrator.MetricsAddress, "vllm:omni_requests_failed_total", "client_cancelled") == before
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.Equal(before + 1, await CounterAsync(orchestrator.MetricsAddress, "vllm:omni_requests_failed_total", "client_cancelled"));
    }

    private static async Task<double> GaugeAsync(string url, string name)
    {
        var text = await Http.GetStringAsync(url);
        var match = Regex.Match(text, "^" + Regex.Escape(name) + "\\{[^}]*\\} (\\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
    }

    private static async Task<double> CounterAsync(string url, string name, string reason)
    {
        var text = await Http.GetStringAsync(url);
        var match = Regex.Match(text, "^" + Regex.Escape(name) + "\\{[^}]*reason=\"" + reason + "\"\\} (\\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
