using Omni.Testing;

namespace Omni.ArStage.IntegrationTests;

/// <summary>The AR stage's vLLM families as a real Prometheus scrapes them, against what the requests really did.</summary>
[Collection(ArStageCollection.Name)]
public sealed class PrometheusScrapeTests(ArStageProcesses stages)
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task Metrics_FinishedRequests_CountersMatchWhatWasServed()
    {
        var replica = stages.Main.Replica;
        var before = await SnapshotAsync(replica);
        // A fresh prefix per prompt: no prefix cache hits, so every position is computed once.
        var requests = Enumerable.Range(0, 5).Select(i => StageEndpoint.TextRequest($"{Guid.NewGuid():N} request {i} asks for", (uint)(3 + 2 * i))).ToArray();

        var results = await Task.WhenAll(requests.Select(request => stages.Main.CallAsync(request)));

        var prompt = results.Sum(r => (double)r.Final!.Usage.PromptTokens);
        var generated = results.Sum(r => (double)r.Final!.Usage.CompletionTokens);
        await stages.Prometheus.WaitForAsync(Sum("vllm:request_success_total", replica), v => v == before.Success + 5);
        var after = await ReadAsync(replica);
        Assert.Equal(before.Success + 5, after.Success);
        Assert.Equal(before.Prompt + prompt, after.Prompt);
        Assert.Equal(before.Generated + generated, after.Generated);
        Assert.Equal(before.E2eCount + 5, after.E2eCount);
        Assert.Equal(before.TtftCount + 5, after.TtftCount);
        Assert.Equal(before.ItlCount + generated - 5, after.ItlCount);
        // Every prompt position and every generated token but the last runs through the model once.
        Assert.Equal(before.IterationTokens + prompt + generated - 5, after.IterationTokens);
        Assert.Equal(before.RequestPromptTokens + prompt, after.RequestPromptTokens);
        Assert.Equal(before.LengthFinishes + 5, after.LengthFinishes);
    }

    [Fact]
    public async Task Metrics_WhileBusy_RunningAndWaitingFollowTheQueuesThenReturnToZero()
    {
        var replica = stages.Main.Replica;
        var aborts = await ScalarAsync($"sum(vllm:request_success_total{{replica_id=\"{replica}\",finished_reason=\"abort\"}})");
        using var cancel = new CancellationTokenSource();
        const int requests = ArStageProcesses.MainMaxNumSeqs + 3;
        var calls = Enumerable.Range(0, requests).Select(i => stages.Main.CallAsync(
            StageEndpoint.TextRequest($"busy {i}", 4000, text => text.IgnoreEos = true), cancellationToken: cancel.Token)).ToArray();

        var running = await stages.Prometheus.WaitForAsync($"vllm:num_requests_running{{replica_id=\"{replica}\"}}", v => v == ArStageProcesses.MainMaxNumSeqs);
        var waiting = await stages.Prometheus.WaitForAsync($"vllm:num_requests_waiting{{replica_id=\"{replica}\"}}", v => v == 3);
        var usage = await stages.Prometheus.WaitForAsync($"vllm:kv_cache_usage_perc{{replica_id=\"{replica}\"}}", v => v > 0);
        await cancel.CancelAsync();
        foreach (var call in calls)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => call);
        }

        Assert.Equal(ArStageProcesses.MainMaxNumSeqs, running);
        Assert.Equal(3, waiting);
        Assert.InRange(usage, 1e-6, 1);
        Assert.Equal(0, await stages.Prometheus.WaitForAsync($"vllm:num_requests_running{{replica_id=\"{replica}\"}}", v => v == 0));
        Assert.Equal(0, await stages.Prometheus.WaitForAsync($"vllm:num_requests_waiting{{replica_id=\"{replica}\"}}", v => v == 0));
        Assert.Equal(0, await stages.Prometheus.WaitForAsync($"vllm:kv_cache_usage_perc{{replica_id=\"{replica}\"}}", v => v == 0));
        Assert.Equal(aborts + requests, await stages.Prometheus.WaitForAsync(
            $"sum(vllm:request_success_total{{replica_id=\"{replica}\",finished_reason=\"abort\"}})", v => v == aborts + requests));
    }

    [Fact]
    public async Task Metrics_PoolTooSmall_PreemptionsCountedAndOutputsUnchanged()
    {
        var tight = stages.Tight;
        var preemptions = await ScalarAsync(Sum("vllm:num_preemptions_total", tight.Replica));
        var requests = new[] { "The quick brown fox jumps", "Once upon a time there", "Hello, world!", "Paged attention" }
            .Select(p => StageEndpoint.TextRequest(p, 24)).ToArray();
        var alone = new List<List<int>>();
        foreach (var request in requests)
        {
            alone.Add((await tight.CallAsync(request)).TokenIds);
        }

        var together = await Task.WhenAll(requests.Select(request => tight.CallAsync(request)));

        Assert.Equal(alone, together.Select(r => r.TokenIds));
        Assert.True(await stages.Prometheus.WaitForAsync(Sum("vllm:num_preemptions_total", tight.Replica), v => v > preemptions) > preemptions);
        Assert.Equal(0, await stages.Prometheus.WaitForAsync($"vllm:kv_cache_usage_perc{{replica_id=\"{tight.Replica}\"}}", v => v == 0));
    }

    [Fact]
    public async Task Metrics_SamePromptPrefixTwice_PrefixCacheQueriesAndHitsCounted()
    {
        var replica = stages.Main.Replica;
        var queries = await ScalarAsync(Sum("vllm:prefix_cache_queries_total", replica));
        var hits = await ScalarAsync(Sum("vllm:prefix_cache_hits_total", replica));
        var prefix = $"{Guid.NewGuid():N} is the shared beginning of both of these prompts, long enough to fill two whole blocks of sixteen tokens";

        var first = await stages.Main.CallAsync(StageEndpoint.TextRequest(prefix + " and then one", 2));
        var second = await stages.Main.CallAsync(StageEndpoint.TextRequest(prefix + " and then two", 2));

        var sent = first.Final!.Usage.PromptTokens + second.Final!.Usage.PromptTokens;
        Assert.Equal(queries + sent, await stages.Prometheus.WaitForAsync(Sum("vllm:prefix_cache_queries_total", replica), v => v == queries + sent));
        var hit = await stages.Prometheus.WaitForAsync(Sum("vllm:prefix_cache_hits_total", replica), v => v >= hits + 32);
        Assert.InRange(hit - hits, 32, first.Final.Usage.PromptTokens);
        Assert.Equal(0, (hit - hits) % 16);
    }

    [Fact]
    public async Task Metrics_CacheConfigInfo_CarriesTheEngineConfiguration()
    {
        var series = await stages.Prometheus.QueryAsync($"vllm:cache_config_info{{replica_id=\"{stages.Main.Replica}\"}}");

        var (labels, value) = Assert.Single(series);
        Assert.Equal(1, value);
        Assert.Equal("16", labels["block_size"]);
        Assert.Equal($"{ArStageProcesses.MainBlocks}", labels["num_gpu_blocks"]);
        Assert.Equal("float32", labels["cache_dtype"]);
        Assert.Equal("True", labels["enable_prefix_caching"]);
        Assert.Equal($"{ArStageProcesses.MainMaxNumSeqs}", labels["max_num_seqs"]);
        Assert.Equal((ArStageProcesses.ModelName, "3", "0", "3"), (labels["model_name"], labels["engine"], labels["stage_id"], labels["replica_id"]));
    }

    [Fact]
    public async Task Metrics_DisableLogStats_OnlyPlatformFamiliesExposed()
    {
        var quiet = stages.Quiet;

        var result = await quiet.CallAsync(StageEndpoint.TextRequest("Hello, world!", 4));
        var exposition = await Http.GetStringAsync(quiet.Process.MetricsAddress);

        Assert.Equal(4u, result.Final!.Usage.CompletionTokens);
        Assert.DoesNotContain("vllm:", exposition, StringComparison.Ordinal);
        Assert.Contains($"process_cpu_seconds_total{{model_name=\"{ArStageProcesses.ModelName}\",engine=\"", exposition, StringComparison.Ordinal);
        Assert.Contains("kestrel_active_connections{", exposition, StringComparison.Ordinal);
        Assert.Empty(await stages.Prometheus.QueryAsync($"vllm:cache_config_info{{replica_id=\"{quiet.Replica}\"}}"));
    }

    [Fact]
    public async Task Metrics_ScrapeAfterTraffic_PassesPromtoolCheck()
    {
        await stages.Main.CallAsync(StageEndpoint.TextRequest("Hello, world!", 3));

        var exposition = await Http.GetStringAsync(stages.Main.Process.MetricsAddress);
        var (exitCode, output) = await Promtool.CheckMetricsAsync(exposition);

        Assert.True(exitCode is 0 or 3, $"promtool exited {exitCode}: {output}");
        Assert.Empty(Promtool.UnexpectedLintFindings(output));
        foreach (var family in new[] { "vllm:num_preemptions_total", "vllm:prefix_cache_hits_total", "vllm:cache_config_info", "vllm:iteration_tokens_total_bucket" })
        {
            Assert.Contains(family, exposition, StringComparison.Ordinal);
        }
    }

    private static string Sum(string family, string replica) => $"sum({family}{{replica_id=\"{replica}\"}})";

    private async Task<double> ScalarAsync(string promql)
    {
        var value = await stages.Prometheus.ScalarAsync(promql);
        return double.IsNaN(value) ? 0 : value;
    }

    // Waits until Prometheus has scraped everything the stage counted so far (the stage is idle between tests), so a
    // baseline taken now is not one scrape behind.
    private async Task<Snapshot> SnapshotAsync(string replica)
    {
        var exposition = await Http.GetStringAsync(stages.Main.Process.MetricsAddress);
        var served = exposition.Split('\n')
            .Where(line => line.StartsWith("vllm:request_success_total{", StringComparison.Ordinal) && line.Contains($"replica_id=\"{replica}\"", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        await stages.Prometheus.WaitForAsync(Sum("vllm:request_success_total", replica), v => v == served);
        return await ReadAsync(replica);
    }

    private async Task<Snapshot> ReadAsync(string replica) => new(
        await ScalarAsync(Sum("vllm:request_success_total", replica)),
        await ScalarAsync(Sum("vllm:prompt_tokens_total", replica)),
        await ScalarAsync(Sum("vllm:generation_tokens_total", replica)),
        await ScalarAsync(Sum("vllm:e2e_request_latency_seconds_count", replica)),
        await ScalarAsync(Sum("vllm:time_to_first_token_seconds_count", replica)),
        await ScalarAsync(Sum("vllm:inter_token_latency_seconds_count", replica)),
        await ScalarAsync(Sum("vllm:iteration_tokens_total_sum", replica)),
        await ScalarAsync(Sum("vllm:request_prompt_tokens_sum", replica)),
        await ScalarAsync($"sum(vllm:request_success_total{{replica_id=\"{replica}\",finished_reason=\"length\"}})"));

    private sealed record Snapshot(
        double Success, double Prompt, double Generated, double E2eCount, double TtftCount, double ItlCount, double IterationTokens,
        double RequestPromptTokens, double LengthFinishes);
}
