using System.ComponentModel.DataAnnotations;
using Omni.Common.Hosting;

namespace Omni.DiffusionStage.Configuration;

/// <summary>The diffusion stage's settings: the shared model options plus its input limit.</summary>
public sealed class DiffusionStageOptions : StageModelOptions
{
    /// <summary>Largest conditioning tensor accepted from the upstream stage, in bytes.</summary>
    [Range(1, 1L << 32)]
    public long MaxConditioningBytes { get; set; } = 256L << 20;
}
