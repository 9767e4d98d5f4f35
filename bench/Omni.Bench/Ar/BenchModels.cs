using Omni.ArStage.Model;
using Omni.ArStage.Tokenization;
using Omni.Bench.Pipeline;

namespace Omni.Bench.Ar;

/// <summary>
/// The models the AR benchmark measures: the built-in default model, a ~100M-parameter Qwen2 and the default model's
/// structure at a negligible width (what a step costs the host), each written once from a seed.
/// </summary>
internal static class BenchModels
{
    public const string Default = "default";
    public const string Medium = "100m";
    public const string Host = "host";

    /// <summary>About 101M parameters: GPT-2's vocabulary (tied), hidden 768, 10 layers, 12 heads (4 KV heads), MLP 2048.</summary>
    public static TransformerConfig MediumConfig { get; } = DefaultModel.Config with
    {
        HiddenSize = 768,
        IntermediateSize = 2048,
        NumHiddenLayers = 10,
        NumAttentionHeads = 12,
        NumKeyValueHeads = 4,
        HeadDim = 64,
    };

    /// <summary>
    /// The default model's layers, heads and operators at width 32 over the byte-level vocabulary: its arithmetic is
    /// negligible, so a decode step's time is what the step costs the host (operator dispatch, the engine's own work),
    /// the floor of a launch-bound GPU step.
    /// </summary>
    public static TransformerConfig HostConfig { get; } = DefaultModel.Config with
    {
        HiddenSize = 32,
        IntermediateSize = 32,
        HeadDim = 8,
        VocabSize = ByteLevelTokenizer.EndOfText + 1,
        BosTokenIds = [ByteLevelTokenizer.EndOfText],
        EosTokenIds = [ByteLevelTokenizer.EndOfText],
    };

    /// <summary>The checkpoint directory of <paramref name="name"/> under the cache root, written on first use.</summary>
    public static string Directory(string name, string? cacheDirectory)
    {
        var root = DefaultModel.ResolveCacheRoot(cacheDirectory);
        switch (name)
        {
            case Default:
                return DefaultModel.EnsureCreated(cacheDirectory);
            case Medium:
                var directory = Path.Combine(root, "ar-bench-100m-v1");
                if (!File.Exists(Path.Combine(directory, CheckpointLoader.WeightsFileName)))
                {
                    Console.Error.WriteLine($"  writing the 100M model to {directory}");
                    DefaultModel.WriteSeeded(directory, MediumConfig, DefaultModel.Seed + 100);
                }

                return directory;
            case Host:
                var host = Path.Combine(root, "ar-bench-host-v1");
                if (!File.Exists(Path.Combine(host, HuggingFaceTokenizer.FileName)))
                {
                    Console.Error.WriteLine($"  writing the host-cost model to {host}");
                    DefaultModel.WriteSeeded(host, HostConfig, DefaultModel.Seed + 400);
                    File.WriteAllText(Path.Combine(host, HuggingFaceTokenizer.FileName), ByteLevelTokenizer.Json());
                }

                return host;
            default:
                throw new ArgumentException($"Unknown model '{name}'; expected '{Default}', '{Medium}' or '{Host}'.", nameof(name));
        }
    }

    /// <summary>Parameters, and the multiply-adds x 2 of one token's forward pass through the weight matrices (attention over the context excluded).</summary>
    public static (long Parameters, double FlopsPerToken) Size(TransformerConfig config)
    {
        long hidden = config.HiddenSize, heads = config.NumAttentionHeads, kvHeads = config.NumKeyValueHeads, headDim = config.HeadDim;
        var attention = hidden * heads * headDim * 2 + hidden * kvHeads * headDim * 2;
        var mlp = 3 * hidden * config.IntermediateSize;
        var perLayer = attention + mlp + 2 * hidden;
        var embedding = (long)config.VocabSize * hidden;
        var parameters = embedding + config.NumHiddenLayers * perLayer + hidden + (config.TieWordEmbeddings ? 0 : embedding);
        var matrixWeights = config.NumHiddenLayers * (attention + mlp) + embedding;
        return (parameters, 2.0 * matrixWeights);
    }
}
