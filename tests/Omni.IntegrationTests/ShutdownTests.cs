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

    [Fact]
    public async Task Sigterm_RequestOutlastingTheShutdownTimeout_ExitsWithinItWithCodeZero()
    {
        // What the Kubernetes manifests set (shutdownTimeoutSeconds, inside the pod's grace period): the drain's bound.
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(["--shutdownTimeoutSeconds", "2"], CancellationToken.None);
        using var client = new Omni.Cli.Client.OmniClient(orchestrator.GrpcAddress);
        var firstText = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // About 1,500 tokens: tens of seconds on these CPUs, far beyond the 2 s bound.
        var request = Requests.Text(maxTokens: 1500);
        request.Text.IgnoreEos = true;
        var running = client.GenerateAsync(request, _ => firstText.TrySetResult());
        await Task.WhenAny(firstText.Task, running).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.False(running.IsCompleted, "the request ended before the orchestrator was stopped");

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var exitCode = await orchestrator.StopAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, exitCode);
        Assert.InRange(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, 1.5, 10);
        await Assert.ThrowsAnyAsync<Exception>(() => running);
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
