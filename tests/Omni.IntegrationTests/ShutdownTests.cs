using Omni.Cli.Launching;

namespace Omni.IntegrationTests;

/// <summary>SIGTERM, as Kubernetes sends it: every service drains and exits with code 0, idle or after serving.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ShutdownTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Sigterm_IdleOrchestrator_ExitCodeZero()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync([], CancellationToken.None);

        Assert.Equal(0, await orchestrator.StopAsync());
    }

    [Fact]
    public async Task Sigterm_OrchestratorAfterARequest_ExitCodeZero()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync([], CancellationToken.None);
        using var client = new Omni.Cli.Client.OmniClient(orchestrator.GrpcAddress);
        await client.GenerateAsync(Requests.Both());

        Assert.Equal(0, await orchestrator.StopAsync());
    }

    [Theory]
    [InlineData("ar-stage")]
    [InlineData("diffusion-stage")]
    public async Task Sigterm_IdleStage_ExitCodeZero(string name)
    {
        var (kind, stageId) = name == "ar-stage" ? (ServiceKind.ArStage, 0) : (ServiceKind.DiffusionStage, 1);
        var ports = FreePorts.Take(2);
        await using var stage = ServiceProcess.Start(kind, ports[0], ports[1], stageId, replicaId: 9,
            ["--stage-id", $"{stageId}", "--replica-id", "9", "--device", "cpu"], fixture.Pipeline.LogDirectory);
        await stage.WaitHealthyAsync(TimeSpan.FromMinutes(2), CancellationToken.None);

        Assert.Equal(0, await stage.StopAsync());
    }
}
