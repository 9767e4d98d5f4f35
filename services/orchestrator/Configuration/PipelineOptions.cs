using System.ComponentModel.DataAnnotations;

namespace Omni.Orchestrator.Configuration;

/// <summary>The pipeline this orchestrator serves: its stages' addresses and its admission limits.</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>The model_name label of the pipeline-level metrics.</summary>
    [Required]
    public string ModelName { get; set; } = "omni-default";

    /// <summary>gRPC address of the AR stage (stage 0), e.g. http://127.0.0.1:50061.</summary>
    [Required, Url]
    public string ArAddress { get; set; } = "http://127.0.0.1:50061";

    /// <summary>gRPC address of the diffusion stage (stage 1).</summary>
    [Required, Url]
    public string DiffusionAddress { get; set; } = "http://127.0.0.1:50062";

    /// <summary>Requests processed at once; more wait in the queue.</summary>
    [Range(1, 100_000)]
    public int MaxInflight { get; set; } = 64;

    /// <summary>Requests allowed to wait for a slot; beyond it new requests get RESOURCE_EXHAUSTED.</summary>
    [Range(0, 1_000_000)]
    public int MaxWaiting { get; set; } = 256;

    /// <summary>Largest cross-stage tensor accepted, in bytes.</summary>
    [Range(1, long.MaxValue)]
    public long MaxTransferBytes { get; set; } = 1L << 30;
}
