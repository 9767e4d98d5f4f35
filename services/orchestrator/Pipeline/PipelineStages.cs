using Microsoft.Extensions.Options;
using Omni.Common.Hosting;
using Omni.Orchestrator.Configuration;

namespace Omni.Orchestrator.Pipeline;

/// <summary>The stages of the pipeline in order: 0 the AR stage, 1 the diffusion stage.</summary>
public sealed class PipelineStages : IDisposable
{
    public const int ArStageId = 0;
    public const int DiffusionStageId = 1;

    public PipelineStages(IOptions<PipelineOptions> pipeline, IOptions<EndpointOptions> endpoints, ILogger<PipelineStages> logger)
    {
        Ar = new StageEndpoint("ar", "ar", ArStageId, pipeline.Value.ArAddress, endpoints.Value.MaxMessageBytes, logger);
        Diffusion = new StageEndpoint("diffusion", "diffusion", DiffusionStageId, pipeline.Value.DiffusionAddress,
            endpoints.Value.MaxMessageBytes, logger);
    }

    public StageEndpoint Ar { get; }

    public StageEndpoint Diffusion { get; }

    public void Dispose()
    {
        Ar.Dispose();
        Diffusion.Dispose();
    }
}
