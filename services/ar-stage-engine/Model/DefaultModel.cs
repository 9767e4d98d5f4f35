using Omni.Common.Caching;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// The built-in model used when no checkpoint is configured: a small Qwen2 with GPT-2's vocabulary and random
/// weights from a fixed seed. It is written once as an ordinary checkpoint directory and then loaded like any other.
/// </summary>
public static class DefaultModel
{
    public const string DirectoryName = "ar-default-v1";
    public const string CacheEnvironmentVariable = SeededModelCache.CacheEnvironmentVariable;
    public const ulong Seed = 20240917;
    public const int EndOfTextTokenId = 50256;

    private static readonly string[] CheckpointFiles = [CheckpointLoader.ConfigFileName, CheckpointLoader.WeightsFileName];

    public static TransformerConfig Config { get; } = new()
    {
        ModelType = TransformerConfig.Qwen2,
        HiddenSize = 256,
        IntermediateSize = 688,
        NumHiddenLayers = 4,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 64,
        VocabSize = 50257,
        MaxPositionEmbeddings = 4096,
        RmsNormEps = 1e-6,
        RopeTheta = 10000,
        TieWordEmbeddings = true,
        QkvBias = true,
        BosTokenIds = [EndOfTextTokenId],
        EosTokenIds = [EndOfTextTokenId],
        TorchDtype = "float32",
    };

    /// <summary>
    /// The cache root: <paramref name="cacheDirectory"/>, else <c>$OMNI_CACHE_DIR</c>, else <c>~/.cache/omni/models</c>
    /// (<see cref="SeededModelCache.ResolveRoot"/>). The model lives in its <see cref="DirectoryName"/> subdirectory.
    /// </summary>
    public static string ResolveCacheRoot(string? cacheDirectory) => SeededModelCache.ResolveRoot(cacheDirectory);

    /// <summary>
    /// Returns the directory of the built-in model under the cache root, writing it first if it is not there
    /// (atomically, through a staging directory: <see cref="SeededModelCache.EnsureCreated"/>).
    /// </summary>
    public static string EnsureCreated(string? cacheDirectory) =>
        SeededModelCache.EnsureCreated(cacheDirectory, DirectoryName, CheckpointFiles, Write);

    /// <summary>Writes config.json and model.safetensors of the built-in model into <paramref name="directory"/>.</summary>
    public static void Write(string directory) => WriteSeeded(directory, Config, Seed);

    /// <summary>
    /// Writes a checkpoint of <paramref name="config"/> with the built-in model's kind of random weights from
    /// <paramref name="seed"/> (norms 1, biases N(0, 0.01), everything else N(0, 0.02)), e.g. for benchmarks.
    /// </summary>
    public static void WriteSeeded(string directory, TransformerConfig config, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, CheckpointLoader.ConfigFileName), config.ToJson());
        SafetensorsWriter.Write(Path.Combine(directory, CheckpointLoader.WeightsFileName), GenerateWeights(config, seed));
    }

    private static List<SafetensorsTensor> GenerateWeights(TransformerConfig config, ulong seed)
    {
        // The module itself lists the tensor names and shapes, so they cannot drift from what the loader expects.
        List<(string Name, long[] Shape)> layout;
        using (var scope = NewDisposeScope())
        using (var template = new CausalLanguageModel(config))
        {
            layout = template.named_parameters().Select(p => (p.name, p.parameter.shape)).ToList();
        }

        var random = new SeededNormal(seed);
        var tensors = new List<SafetensorsTensor>();
        foreach (var (name, shape) in layout.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var count = shape.Aggregate(1L, (a, b) => a * b);
            var values = name.EndsWith("norm.weight", StringComparison.Ordinal)
                ? Enumerable.Repeat(1f, (int)count).ToArray()
                : random.Sample(count, name.EndsWith(".bias", StringComparison.Ordinal) ? 0.01 : 0.02);
            tensors.Add(SafetensorsTensor.FromFloats(name, shape, values));
        }

        return tensors;
    }
}
