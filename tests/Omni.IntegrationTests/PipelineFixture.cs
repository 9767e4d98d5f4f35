using Omni.Cli.Client;
using Omni.Cli.Launching;

namespace Omni.IntegrationTests;

/// <summary>Real service processes on 127.0.0.1, on the CPU, started once for a test collection.</summary>
public abstract class LocalPipelineFixture(LocalPipelineOptions options) : IAsyncLifetime
{
    private LocalPipeline? _pipeline;

    public LocalPipeline Pipeline => _pipeline ?? throw new InvalidOperationException("The pipeline is not started.");

    public OmniClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _pipeline = await LocalPipeline.StartAsync(options, CancellationToken.None);
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

/// <summary>One replica of each stage of pipelines/omni.yaml (as `omni up` starts it): AR, diffusion, talker, code2wav and video.</summary>
public sealed class PipelineFixture() : LocalPipelineFixture(new LocalPipelineOptions { Device = "cpu", Speech = true, Video = true });

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "pipeline";
}
