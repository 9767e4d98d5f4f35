using System.ComponentModel.DataAnnotations;
using Omni.Common.Hosting;
using Omni.DiffusionStage.Engine;

namespace Omni.DiffusionStage.Configuration;

/// <summary>The diffusion stage's settings: the shared model options plus its input limit and batch size.</summary>
public sealed class DiffusionStageOptions : StageModelOptions
{
    /// <summary>The built-in model served when no model directory is given: <c>image</c> or <c>video</c> (--builtin-model).</summary>
    [EnumDataType(typeof(BuiltInDiffusionModel))]
    public BuiltInDiffusionModel BuiltInModel { get; set; } = BuiltInDiffusionModel.Image;

    /// <summary>Largest conditioning tensor accepted from the upstream stage, in bytes.</summary>
    [Range(1, 1L << 32)]
    public long MaxConditioningBytes { get; set; } = 256L << 20;

    /// <summary>Most images denoised together in one batch (a request counts its num_images).</summary>
    [Range(1, 64)]
    public int MaxBatchSize { get; set; } = 4;
}
