using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Omni.Cli.Launching;

namespace Omni.IntegrationTests;

/// <summary>
/// The orchestrator's health follows its stages: NOT_SERVING while no AR replica is ready, on the gRPC health service,
/// the metrics port's /readyz (for probes that cannot speak TLS) and the HTTP door's /health alike.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class HealthTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Check_NoArReplicaReachable_NotServing()
    {
        await using var orchestrator = StartWithUnreachableStages();
        using var channel = GrpcChannel.ForAddress(orchestrator.GrpcAddress);

        var status = await FirstAnswerAsync(new Health.HealthClient(channel));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, status);
    }

    [Fact]
    public async Task HttpDoor_NoArReplicaReachable_HealthAndChatAnswer503()
    {
        await using var orchestrator = await StartAnsweringWithUnreachableStagesAsync();
        using var http = new HttpClient { BaseAddress = new Uri(orchestrator.HttpAddress) };

        using var health = await http.GetAsync("/health");
        using var chat = await http.PostAsync("/v1/chat/completions",
            new StringContent("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal((HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable), (health.StatusCode, chat.StatusCode));
        Assert.Contains("\"type\":\"server_error\"", await chat.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_NoArReplicaReachable_503OnTheMetricsPort()
    {
        await using var orchestrator = await StartAnsweringWithUnreachableStagesAsync();
        using var http = new HttpClient();

        using var ready = await http.GetAsync($"http://127.0.0.1:{orchestrator.MetricsPort}/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    [Fact]
    public async Task Readyz_EveryServiceReady_200OnTheMetricsPort()
    {
        using var http = new HttpClient();

        foreach (var service in fixture.Pipeline.All)
        {
            using var ready = await http.GetAsync($"http://127.0.0.1:{service.MetricsPort}/readyz");
            Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{service.Kind.Name}: {ready.StatusCode}");
        }
    }

    [Fact]
    public async Task HttpDoor_StagesReady_Health200()
    {
        using var http = new HttpClient();

        using var health = await http.GetAsync(fixture.Pipeline.Orchestrator.HttpAddress + "/health");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Check_StagesReady_Serving()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Pipeline.Orchestrator.GrpcAddress);

        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    /// <summary>An orchestrator whose stages' addresses answer nothing.</summary>
    private ServiceProcess StartWithUnreachableStages()
    {
        var ports = FreePorts.Take(4);
        return ServiceProcess.Start(ServiceKind.Orchestrator, ports[0], ports[1], -1, 0,
            ["--ar-address", $"http://127.0.0.1:{ports[2]}", "--diffusion-address", $"http://127.0.0.1:{ports[3]}"], fixture.Pipeline.LogDirectory);
    }

    /// <summary>That orchestrator, once its gRPC health answers (so its HTTP ports are open too).</summary>
    private async Task<ServiceProcess> StartAnsweringWithUnreachableStagesAsync()
    {
        var orchestrator = StartWithUnreachableStages();
        using var channel = GrpcChannel.ForAddress(orchestrator.GrpcAddress);
        await FirstAnswerAsync(new Health.HealthClient(channel));
        return orchestrator;
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> FirstAnswerAsync(Health.HealthClient health)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            try
            {
                return (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2))).Status;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
