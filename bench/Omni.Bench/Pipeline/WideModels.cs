using Omni.ArStage.Model;
using Omni.ArStage.Tokenization;
using Omni.DiffusionStage.Model;

namespace Omni.Bench.Pipeline;

/// <summary>
/// A pipeline whose AR stage hands on 64 MiB of hidden states per request and computes little: one layer of width
/// 8192 with a single 64-wide attention head and a 64-wide MLP, a byte-level tokenizer without merges (so a prompt of
/// 2,048 letters is 2,048 tokens, the orchestrator's prompt limit), and a diffusion model conditioned on width 8192.
/// Both are written once from seeds, in the ordinary checkpoint formats, and loaded like any checkpoint.
/// </summary>
internal static class WideModels
{
    public const int Width = 8192;
    public const int PromptTokens = 2048;
    private const int EndOfText = ByteLevelTokenizer.EndOfText;

    public static TransformerConfig ArConfig { get; } = DefaultModel.Config with
    {
        HiddenSize = Width,
        IntermediateSize = 64,
        NumHiddenLayers = 1,
        NumAttentionHeads = 1,
        NumKeyValueHeads = 1,
        HeadDim = 64,
        VocabSize = EndOfText + 1,
        BosTokenIds = [EndOfText],
        EosTokenIds = [EndOfText],
    };

    public static DiffusionModelConfig DiffusionConfig { get; } = DefaultDiffusionModel.Config with { ConditioningWidth = Width };

    /// <summary>A prompt of exactly <see cref="PromptTokens"/> tokens under the byte-level tokenizer.</summary>
    public static string Prompt { get; } = new('a', PromptTokens);

    public static (string Ar, string Diffusion) EnsureWritten(string? cacheDirectory)
    {
        var root = DefaultModel.ResolveCacheRoot(cacheDirectory);
        var ar = Path.Combine(root, "ar-bench-wide-v1");
        if (!File.Exists(Path.Combine(ar, HuggingFaceTokenizer.FileName)))
        {
            Console.Error.WriteLine($"  writing the wide AR model to {ar}");
            DefaultModel.WriteSeeded(ar, ArConfig, DefaultModel.Seed + 200);
            File.WriteAllText(Path.Combine(ar, HuggingFaceTokenizer.FileName), ByteLevelTokenizer.Json());
        }

        var diffusion = Path.Combine(root, "diffusion-bench-wide-v1");
        if (!File.Exists(Path.Combine(diffusion, DiffusionCheckpoint.WeightsFileName)))
        {
            Console.Error.WriteLine($"  writing the wide diffusion model to {diffusion}");
            using var model = DefaultDiffusionModel.Create(DiffusionConfig);
            DiffusionCheckpoint.Save(model, diffusion);
        }

        return (ar, diffusion);
    }
}
