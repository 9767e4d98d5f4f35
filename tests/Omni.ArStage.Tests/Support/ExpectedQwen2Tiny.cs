using System.Text.Json;

namespace Omni.ArStage.Tests.Support;

/// <summary>The reference outputs in qwen2-tiny.expected.json.</summary>
internal sealed class ExpectedQwen2Tiny
{
    private ExpectedQwen2Tiny(JsonElement root)
    {
        Prompt = root.GetProperty("prompt").GetString()!;
        PromptIds = root.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var greedy = root.GetProperty("model").GetProperty("greedy");
        TokenIds = greedy.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Steps = greedy.GetProperty("steps").EnumerateArray()
            .Select(s => (s.GetProperty("token_id").GetInt32(), s.GetProperty("logit").GetDouble(), s.GetProperty("logprob").GetDouble()))
            .ToArray();
        TextBytes = Convert.FromHexString(greedy.GetProperty("bytes_hex").GetString()!);
    }

    public string Prompt { get; }

    public int[] PromptIds { get; }

    public int[] TokenIds { get; }

    public (int TokenId, double Logit, double Logprob)[] Steps { get; }

    public byte[] TextBytes { get; }

    public static ExpectedQwen2Tiny Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixtures.Qwen2TinyExpected));
        return new ExpectedQwen2Tiny(document.RootElement);
    }

    public static float[] PromptLastLogits()
    {
        var bytes = File.ReadAllBytes(Fixtures.Qwen2TinyPromptLastLogits);
        var logits = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, logits, 0, bytes.Length);
        return logits;
    }
}
