using System.Text.Json.Nodes;

namespace Omni.Bench.Pipeline;

/// <summary>A tokenizer.json for the benchmark's own models: one token per byte, and an end-of-text token after the 256 bytes.</summary>
internal static class ByteLevelTokenizer
{
    public const int EndOfText = 256;

    /// <summary>GPT-2's byte-level BPE with its 256 byte symbols and no merges: one token per byte.</summary>
    public static string Json()
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
