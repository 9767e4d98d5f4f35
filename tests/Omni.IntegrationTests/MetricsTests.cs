using Omni.Cli.Launching;
using Omni.Testing;
using System.Text.RegularExpressions;

namespace Omni.IntegrationTests;

[Collection(PipelineCollection.Name)]
public sealed partial class MetricsTests(PipelineFixture fixture)
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task Metrics_EveryService_PassesPromtoolCheck()
    {
        await fixture.Client.GenerateAsync(Requests.Both());

        foreach (var service in fixture.Pipeline.All)
        {
            var exposition = await Http.GetStringAsync(service.MetricsAddress);
            var (exitCode, output) = await Promtool.CheckMetricsAsync(exposition);

            // Exit 1 is a parse error; 3 is lint, expected for the names vLLM chose (':' and '_ms'), nothing else.
            Assert.True(exitCode is 0 or 3, $"{service.Kind.Name}: promtool exited {exitCode}: {output}");
            var unexpected = Promtool.UnexpectedLintFindings(output);
            Assert.True(unexpected.Count == 0, $"{service.Kind.Name}: {string.Join('\n', unexpected)}");
        }
    }

    [Fact]
    public async Task Metrics_EveryService_ExportsThePlatformFamiliesWithItsIdentity()
    {
        await fixture.Client.GenerateAsync(Requests.Both());

        foreach (var service in fixture.Pipeline.All)
        {
            var exposition = await Http.GetStringAsync(service.MetricsAddress);
            var identity = service.Kind == ServiceKind.Orchestrator
                ? "{model_name=\"omni-default\""
                : $"{{model_name=\"{ModelName(service)}\",engine=\"{service.StageId * 10000 + service.ReplicaId}\",stage_id=\"{service.StageId}\",replica_id=\"{service.ReplicaId}\"";
            foreach (var family in new[]
            {
                "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                "process_start_time_seconds", "process_num_threads", "kestrel_active_connections", "http_server_request_duration_seconds_count",
                "dotnet_gc_collections_total", "dotnet_thread_pool_thread_count_total", "dotnet_gc_heap_total_allocated_bytes_total",
            })
            {
                Assert.Contains($"\n{family}{identity}", exposition, StringComparison.Ordinal);
            }
            Assert.True(Exposition.Sum(exposition, "kestrel_active_connections") >= 1, $"{service.Kind.Name}: no active connection");
            Assert.True(Exposition.Sum(exposition, "http_server_request_duration_seconds_count", "http_route=\"/omni.v1.") >= 1,
                $"{service.Kind.Name}: no gRPC request counted");
        }
    }

    /// <summary>The built-in model each stage of the omni pipeline serves (the talker is an AR stage, the video stage a diffusion stage).</summary>
    private static string ModelName(ServiceProcess service) => service.Kind.Name switch
    {
        "ar-stage" => service.StageId == 2 ? "omni-talker-default" : "omni-ar-default",
        "diffusion-stage" => service.StageId == 4 ? "omni-video-dit-default" : "omni-dit-default",
        "code2wav-stage" => "omni-code2wav-default",
        var other => throw new ArgumentOutOfRangeException(nameof(service), other, "not a stage"),
    };

    [Fact]
    public async Task Metrics_ArStage_CountsServedRequestsWithReplicaLabels()
    {
        var ar = fixture.Pipeline.ArStages[0];
        var before = Exposition.Sum(await Http.GetStringAsync(ar.MetricsAddress), "vllm:request_success_total");
        var beforePrompt = Exposition.Sum(await Http.GetStringAsync(ar.MetricsAddress), "vllm:generation_tokens_total");

        await fixture.Client.GenerateAsync(Requests.Text(maxTokens: 5));
        await fixture.Client.GenerateAsync(Requests.Text(maxTokens: 3));

        var after = await Http.GetStringAsync(ar.MetricsAddress);
        Assert.Equal(before + 2, Exposition.Sum(after, "vllm:request_success_total"));
        Assert.Equal(beforePrompt + 8, Exposition.Sum(after, "vllm:generation_tokens_total"));
        Assert.Matches("vllm:request_success_total\\{model_name=\"omni-ar-default\",engine=\"0\",stage_id=\"0\",replica_id=\"0\",finished_reason=\"length\"\\}", after);
    }

    [Fact]
    public async Task Metrics_DiffusionStage_CountsStepsPerRequest()
    {
        var diffusion = fixture.Pipeline.DiffusionStages[0];
        var before = await Http.GetStringAsync(diffusion.MetricsAddress);

        await fixture.Client.GenerateAsync(Requests.Image(steps: 4));

        var after = await Http.GetStringAsync(diffusion.MetricsAddress);
        Assert.Equal(Exposition.Sum(before, "vllm:omni_diffusion_exec_time_ms_count") + 1, Exposition.Sum(after, "vllm:omni_diffusion_exec_time_ms_count"));
        Assert.Equal(Exposition.Sum(before, "vllm:omni_diffusion_step_time_ms_count") + 4, Exposition.Sum(after, "vllm:omni_diffusion_step_time_ms_count"));
        Assert.Contains("stage_id=\"1\",replica_id=\"0\"", after);
    }

    [Fact]
    public async Task Metrics_Orchestrator_CountsImagesAndTransfers()
    {
        var orchestrator = fixture.Pipeline.Orchestrator;
        var before = await Http.GetStringAsync(orchestrator.MetricsAddress);

        await fixture.Client.GenerateAsync(Requests.Image());

        var after = await Http.GetStringAsync(orchestrator.MetricsAddress);
        Assert.Equal(Exposition.Sum(before, "vllm:omni_images_generated_total") + 1, Exposition.Sum(after, "vllm:omni_images_generated_total"));
        Assert.True(Exposition.Sum(after, "vllm:omni_transfer_size_bytes_count") > Exposition.Sum(before, "vllm:omni_transfer_size_bytes_count"));
        Assert.Contains("from_stage=\"0\",from_replica=\"0\",to_stage=\"1\",to_replica=\"0\"", after);
    }

}
