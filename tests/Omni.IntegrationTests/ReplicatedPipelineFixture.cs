using Omni.Cli.Client;
using Omni.Cli.Launching;

namespace Omni.IntegrationTests;

/// <summary>Two AR replicas and two diffusion replicas behind one orchestrator (relay connector), all real processes.</summary>
public sealed class ReplicatedPipelineFixture : IAsyncLifetime
{
    private LocalPipeline? _pipeline;

    public LocalPipeline Pipeline => _pipeline ?? throw new InvalidOperationException("The pipeline is not started.");

    public OmniClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu", ArReplicas = 2, DiffusionReplicas = 2 },
            CancellationToken.None);
        Client = new OmniClient(_pipeline.Orchestrator.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_pipeline is not null)
        {
            await _pipeline.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ReplicatedPipelineCollection : ICollectionFixture<ReplicatedPipelineFixture>
{
    public const string Name = "replicated-pipeline";
}
