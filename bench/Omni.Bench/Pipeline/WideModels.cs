using System.Text.Json.Nodes;
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
    private const int EndOfText = 256;

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
            File.WriteAllText(Path.Combine(ar, HuggingFaceTokenizer.FileName), ByteTokenizerJson());
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

    /// <summary>GPT-2's byte-level BPE with its 256 byte symbols and no merges: one token per byte.</summary>
    private static string ByteTokenizerJson()
    {
        var vocabulary = new JsonObject();
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            // GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others for 256, 257, ... in byte order.
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            vocabulary[((char)(printable ? b : next++)).ToString()] = b;
        }

        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(new JsonObject { ["id"] = EndOfText, ["content"] = "<|endoftext|>", ["special"] = true }),
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocabulary, ["merges"] = new JsonArray() },
        }.ToJsonString();
    }
}
