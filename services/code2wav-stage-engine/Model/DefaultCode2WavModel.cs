using Omni.Common.Caching;
using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Model;

/// <summary>
/// The built-in vocoder used when no checkpoint is given: a fixed architecture (24 kHz, 50 codec frames a second)
/// with weights drawn from a fixed seed, written once to the model cache as an ordinary checkpoint and then loaded
/// like any other.
/// </summary>
public static class DefaultCode2WavModel
{
    public const string Name = "omni-code2wav-default";

    /// <summary>Bump when the architecture or the initialization changes, so stale caches are not reused.</summary>
    public const string CacheDirectoryName = "code2wav-default-v1";

    private const ulong WeightSeed = 0xC0DE2AAF;

    private static readonly string[] CheckpointFiles = [Code2WavCheckpoint.ConfigFileName, Code2WavCheckpoint.WeightsFileName];

    public static Code2WavConfig Config { get; } = new()
    {
        CodebookSize = 1024,
        EmbeddingDim = 128,
        UpsampleChannels = [64, 32, 16, 8],
        UpsampleRates = [8, 5, 4, 3],
        ResidualDilations = [1, 3],
        KernelSize = 7,
        SampleRate = 24000,
    };

    /// <summary>Returns the default checkpoint's directory, generating it first when it is not there yet.</summary>
    public static string EnsureCached(string? cacheRoot) =>
        SeededModelCache.EnsureCreated(cacheRoot, CacheDirectoryName, CheckpointFiles, directory =>
        {
            using var model = Create();
            Code2WavCheckpoint.Save(model, directory);
        });

    /// <summary>Builds the default model with its deterministic weights (CPU).</summary>
    public static Code2WavModel Create() => Create(Config);

    /// <summary>Builds a model of another architecture with the default model's deterministic initialization (CPU).</summary>
    public static Code2WavModel Create(Code2WavConfig config)
    {
        var model = new Code2WavModel(config);
        SeededWeights.Initialize(model, WeightSeed, InitialValue);
        return model;
    }

    /// <remarks>Fan-in-scaled normal weights, zero biases, unit-variance embeddings: a random but audible waveform.</remarks>
    private static Tensor InitialValue(string name, long[] shape, Generator generator)
    {
        if (shape.Length == 1)
        {
            return zeros(shape);
        }
        if (name.StartsWith("code_embedding.", StringComparison.Ordinal))
        {
            return randn(shape, generator: generator);
        }
        // Conv1d weights are [out, in, k]; ConvTranspose1d weights [in, out, k] (each output step sums k / stride of them).
        var fanIn = name.Contains(".upsample.", StringComparison.Ordinal) ? shape[0] * 2 : shape[1] * shape[2];
        return randn(shape, generator: generator).mul(1.0 / Math.Sqrt(fanIn));
    }
}
