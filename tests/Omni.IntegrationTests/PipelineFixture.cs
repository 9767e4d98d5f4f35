using Omni.Cli.Client;
using Omni.Cli.Launching;

namespace Omni.IntegrationTests;

/// <summary>The three real services, started once for the collection on 127.0.0.1, on the CPU.</summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    private LocalPipeline? _pipeline;

    public LocalPipeline Pipeline => _pipeline ?? throw new InvalidOperationException("The pipeline is not started.");

    public OmniClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu" }, CancellationToken.None);
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
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "pipeline";
}
