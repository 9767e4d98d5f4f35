using Omni.DiffusionStage.Model;

namespace Omni.DiffusionStage.Tests;

/// <summary>A very small architecture for checkpoint tests.</summary>
internal static class TinyModel
{
    public static DiffusionModelConfig Config { get; } = new()
    {
        LatentChannels = 4,
        PatchSize = 2,
        HiddenSize = 32,
        Depth = 2,
        NumHeads = 2,
        ConditioningWidth = 24,
        FrequencyEmbeddingSize = 32,
        VaeScaleFactor = 8,
        DecoderChannels = [16, 8, 8, 8],
        DecoderNormGroups = 4,
    };
}
