using System.ComponentModel.DataAnnotations;
using Omni.Orchestrator.Graph;

namespace Omni.Orchestrator.Configuration;

/// <summary>
/// The pipeline this orchestrator serves: a graph of stages (each a set of replicas, its inputs from upstream stages
/// and what it sends the client) and the admission limits. Defined in configuration; the default definition ships
/// as pipelines/default.yaml and another is given with --pipeline FILE.
/// </summary>
public sealed class PipelineOptions : IValidatableObject
{
    public const string SectionName = "Pipeline";

    /// <summary>The model_name label of the pipeline-level metrics.</summary>
    [Required]
    public string ModelName { get; set; } = "omni-default";

    public List<StageOptions> Stages { get; set; } = [];

    /// <summary>Requests processed at once; more wait in the queue.</summary>
    [Range(1, 100_000)]
    public int MaxInflight { get; set; } = 64;

    /// <summary>Requests allowed to wait for a slot; beyond it new requests get RESOURCE_EXHAUSTED.</summary>
    [Range(0, 1_000_000)]
    public int MaxWaiting { get; set; } = 256;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        PipelineGraphValidator.Validate(this).Select(error => new ValidationResult(error.Message, [error.Key]));
}
