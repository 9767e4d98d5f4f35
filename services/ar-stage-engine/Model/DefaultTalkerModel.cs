using Omni.Common.Caching;

namespace Omni.ArStage.Model;

/// <summary>
/// The built-in talker: a small Qwen2 decoder over audio-codec codes instead of text, whose prompt is the thinker's
/// hidden states (the built-in thinker's width, 256) projected to its own width by <c>model.prompt_projection</c>. Its
/// vocabulary is the codec's codebook (the built-in vocoder's 1024 codes) plus one end-of-speech code. Random weights
/// from a fixed seed, written once as an ordinary checkpoint and loaded like any other by the AR engine.
/// </summary>
public static class DefaultTalkerModel
{
    public const string DirectoryName = "talker-default-v2";
    public const string Name = "omni-talker-default";
    public const ulong Seed = 20261130;

    /// <summary>Codes 0..1023 are the codec's; this one ends the speech.</summary>
    public const int EndOfSpeechCode = CodebookSize;

    public const int CodebookSize = 1024;

    private static readonly string[] CheckpointFiles = [CheckpointLoader.ConfigFileName, CheckpointLoader.WeightsFileName];

    public static TransformerConfig Config { get; } = new()
    {
        ModelType = TransformerConfig.Qwen2,
        HiddenSize = 128,
        IntermediateSize = 344,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 32,
        VocabSize = CodebookSize + 1,
        // The thinker's longest states (2048 prompt + 4096 generated positions) and a minute of speech.
        MaxPositionEmbeddings = 12288,
        RmsNormEps = 1e-6,
        RopeTheta = 10000,
        TieWordEmbeddings = true,
        QkvBias = true,
        BosTokenIds = [],
        EosTokenIds = [EndOfSpeechCode],
        TorchDtype = "float32",
        PromptEmbeddingSize = DefaultModel.Config.HiddenSize,
        // The built-in vocoder's: 24 kHz, 480 samples per frame.
        CodecFrameRate = 50,
    };

    /// <summary>The built-in talker's directory under the cache root, written first if it is not there.</summary>
    public static string EnsureCreated(string? cacheDirectory) =>
        SeededModelCache.EnsureCreated(cacheDirectory, DirectoryName, CheckpointFiles, directory => DefaultModel.WriteSeeded(directory, Config, Seed));
}
