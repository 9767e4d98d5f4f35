using Microsoft.Extensions.Options;
using Omni.Common.Hosting;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Routing;

namespace Omni.Orchestrator.Pipeline;

/// <summary>The stages of the pipeline in order, each a set of replicas: 0 the AR stage, 1 the diffusion stage.</summary>
public sealed class PipelineStages : IHostedService, IAsyncDisposable
{
    public const int ArStageId = 0;
    public const int DiffusionStageId = 1;

    private int _disposed;

    public PipelineStages(IOptions<PipelineOptions> pipeline, IOptions<EndpointOptions> endpoints, ILogger<PipelineStages> logger)
    {
        var stages = pipeline.Value.ResolvedStages();
        Ar = new ReplicaSet(ArStageId, stages[ArStageId], endpoints.Value.MaxMessageBytes, logger);
        Diffusion = new ReplicaSet(DiffusionStageId, stages[DiffusionStageId], endpoints.Value.MaxMessageBytes, logger);
    }

    public ReplicaSet Ar { get; }

    public ReplicaSet Diffusion { get; }

    /// <summary>The edge from the AR stage to the diffusion stage.</summary>
    public StageRouteOptions ArToDiffusion => Ar.Options;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Ar.Start();
        Diffusion.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // The container disposes this instance twice: once as the singleton, once as the hosted service its factory returned.
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await Ar.DisposeAsync();
        await Diffusion.DisposeAsync();
    }
}
