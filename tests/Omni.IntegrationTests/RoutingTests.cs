using Grpc.Core;
using Omni.Cli.Client;
using Omni.Contracts.V1;
using Omni.Testing;

namespace Omni.IntegrationTests;

[Collection(ReplicatedPipelineCollection.Name)]
public sealed class RoutingTests(ReplicatedPipelineFixture fixture)
{
    [Fact]
    public async Task Generate_SequentialRequests_SpreadOverBothArReplicas()
    {
        var replicas = new List<uint>();
        for (var i = 0; i < 6; i++)
        {
            var result = await fixture.Client.GenerateAsync(Requests.Text(maxTokens: 2));
            replicas.Add(result.Final.Stages[0].ReplicaId);
        }

        Assert.Equal([0u, 1u], replicas.Distinct().Order());
        Assert.InRange(replicas.Count(replica => replica == 0), 2, 4);
    }

    [Fact]
    public async Task Generate_ConcurrentRequests_LeastLoadedUsesBothReplicas()
    {
        // Eight, not four: a load report from an earlier test may still count against one replica for a moment
        // (reports lag; on a loaded machine by more than a request), which four requests alone might not outweigh.
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => fixture.Client.GenerateAsync(Requests.Text(maxTokens: 24))));

        Assert.Equal([0u, 1u], results.Select(result => result.Final.Stages[0].ReplicaId).Distinct().Order());
    }

    [Fact]
    public async Task Generate_ImageRequest_ReportsTheReplicaPairThatServedIt()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Image());

        var transfer = Assert.Single(result.Final.Transfers);
        Assert.Equal("relay", transfer.Connector);
        Assert.Equal(result.Final.Stages[0].ReplicaId, transfer.FromReplica);
        Assert.Equal(result.Final.Stages[1].ReplicaId, transfer.ToReplica);
        Assert.Equal((0u, 1u), (transfer.FromStage, transfer.ToStage));
        Assert.True(transfer.Chunks >= 1);
        Assert.Equal(transfer.Bytes, (ulong)(result.Final.Usage.PromptTokens * 256 * 4));
        Assert.True(transfer.TxMs > 0 && transfer.RxDecodeMs > 0 && transfer.InFlightMs > 0);
        Assert.InRange(transfer.DurationMs, transfer.InFlightMs, result.Final.E2ETimeMs);
    }

    [Fact]
    public async Task Generate_DirectConnector_SameImageAsRelayAndDirectTransferReport()
    {
        await using var direct = await fixture.Pipeline.StartOrchestratorAsync(["--connector", "direct"], CancellationToken.None);
        using var directClient = new OmniClient(direct.GrpcAddress);

        var viaRelay = await fixture.Client.GenerateAsync(Requests.Both(seed: 17));
        var viaDirect = await directClient.GenerateAsync(Requests.Both(seed: 17));

        Assert.Equal(viaRelay.Image!.Data.ToByteArray(), viaDirect.Image!.Data.ToByteArray());
        var transfer = Assert.Single(viaDirect.Final.Transfers);
        Assert.Equal("direct", transfer.Connector);
        Assert.Equal(viaRelay.Final.Transfers[0].Bytes, transfer.Bytes);
        Assert.True(transfer.TxMs > 0 && transfer.RxDecodeMs > 0 && transfer.InFlightMs >= 0);
        Assert.InRange(transfer.DurationMs, transfer.TxMs, viaDirect.Final.E2ETimeMs);
    }

    [Fact]
    public async Task Generate_FullOrchestrator_ResourceExhaustedAtOnce()
    {
        await using var small = await fixture.Pipeline.StartOrchestratorAsync(["--max-inflight", "1", "--max-waiting", "0"], CancellationToken.None);
        using var client = new OmniClient(small.GrpcAddress);
        using var cancel = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var running = client.GenerateAsync(Requests.Text(maxTokens: 2000), _ => started.TrySetResult(), cancellationToken: cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync(Requests.Text(maxTokens: 2)));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        cancel.Cancel();
        await Assert.ThrowsAsync<RpcException>(() => running);
    }

    [Fact]
    public async Task Prometheus_AfterRequests_PromQlMatchesWhatWasSent()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync([], CancellationToken.None);
        using var client = new OmniClient(orchestrator.GrpcAddress);
        var results = new List<GenerateResult>();
        for (var i = 0; i < 4; i++)
        {
            results.Add(await client.GenerateAsync(Requests.Image(seed: (ulong)i)));
        }
        results.Add(await client.GenerateAsync(Requests.Text(maxTokens: 3)));
        var targets = new Dictionary<string, IReadOnlyList<string>>
        {
            ["orchestrator"] = [HostPort(orchestrator.MetricsAddress)],
        };

        await using var prometheus = await PrometheusServer.StartAsync(targets);
        await prometheus.WaitForTargetsUpAsync(1);

        var success = await prometheus.WaitForAsync("sum(vllm:omni_requests_success_total)", value => value >= 5);
        Assert.Equal(5, success);
        Assert.Equal(5, await prometheus.ScalarAsync("sum(vllm:omni_e2e_request_latency_seconds_count)"));
        Assert.Equal(4, await prometheus.ScalarAsync("sum(vllm:omni_images_generated_total)"));
        foreach (var pair in results.SelectMany(result => result.Final.Transfers).GroupBy(t => (t.FromReplica, t.ToReplica)))
        {
            var chunks = pair.Sum(transfer => (long)transfer.Chunks);
            var query = $"sum(vllm:omni_transfer_size_bytes_count{{from_stage=\"0\",from_replica=\"{pair.Key.FromReplica}\",to_stage=\"1\",to_replica=\"{pair.Key.ToReplica}\"}})";
            Assert.Equal(chunks, await prometheus.ScalarAsync(query));
        }
        var stageCounts = await prometheus.QueryAsync("sum by (stage_id, replica_id) (vllm:omni_stage_gen_time_seconds_count)");
        foreach (var (labels, value) in stageCounts)
        {
            var expected = results.SelectMany(result => result.Final.Stages)
                .Count(stage => stage.StageId.ToString() == labels["stage_id"] && stage.ReplicaId.ToString() == labels["replica_id"]);
            Assert.Equal(expected, value);
        }
    }

    [Fact]
    public async Task Generate_ArStageFromDnsName_ResolvedAndServed()
    {
        var port = new Uri(fixture.Pipeline.ArStages[1].GrpcAddress).Port;
        // "localhost" resolves to the loopback address(es); the one the stage listens on becomes a ready replica.
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(
            ["--ar-address", "", "--ar-dns", $"localhost:{port}", "--diffusion-address", fixture.Pipeline.DiffusionStages[0].GrpcAddress],
            CancellationToken.None);
        using var client = new OmniClient(orchestrator.GrpcAddress);

        var result = await client.GenerateAsync(Requests.Both(maxTokens: 2));

        Assert.Equal(1u, result.Final.Stages[0].ReplicaId);
        Assert.Equal(0u, result.Final.Stages[1].ReplicaId);
    }

    private static string HostPort(string metricsUrl) => new Uri(metricsUrl).Authority;
}
