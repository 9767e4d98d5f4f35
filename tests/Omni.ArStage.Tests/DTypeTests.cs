using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>--dtype: the weights, activations and KV cache in half precision stay close to float32.</summary>
public sealed class DTypeTests
{
    [Theory]
    [InlineData("bfloat16", ScalarType.BFloat16, 0.5)]
    [InlineData("float16", ScalarType.Float16, 0.1)]
    public void Load_HalfPrecision_WeightsCacheAndLogitsFollow(string name, ScalarType dtype, double tolerance)
    {
        var expected = ExpectedQwen2Tiny.Load();
        using var engine = TestEngines.Qwen2Tiny(o => o with { DType = name });
        var ids = expected.PromptIds.Concat(expected.TokenIds.Take(4)).ToArray();

        var logits = TestModels.CachedLogits(engine.Model, ids, prefill: expected.PromptIds.Length);
        var tokens = new List<int>();
        engine.Generate(new GenerationRequest(expected.Prompt) { Temperature = 0, MaxTokens = 2 }, t => tokens.Add(t.TokenId), CancellationToken.None);

        Assert.Equal(dtype, engine.Model.DType);
        Assert.Equal(name, engine.CacheConfig.DType);
        Assert.Equal(expected.TokenIds.Take(2), tokens);
        for (var step = 0; step < 4; step++)
        {
            var logit = logits[expected.PromptIds.Length - 1 + step, expected.Steps[step].TokenId];
            Assert.InRange(logit, expected.Steps[step].Logit - tolerance, expected.Steps[step].Logit + tolerance);
        }
    }

    [Fact]
    public void Load_UnknownDType_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => TestEngines.Qwen2Tiny(o => o with { DType = "int8" }));

        Assert.Contains("int8", error.Message);
    }

    [Fact]
    public void Load_HalfPrecisionCache_HalvesBytesPerBlock()
    {
        using var single = TestEngines.Qwen2Tiny();
        using var half = TestEngines.Qwen2Tiny(o => o with { DType = "bfloat16" });

        Assert.Equal(single.CacheConfig.BytesPerBlock, 2 * half.CacheConfig.BytesPerBlock);
        // keys and values x 2 layers x 16 tokens x 2 KV heads x head_dim 16 x 4 bytes.
        Assert.Equal(2L * 2 * 16 * 2 * 16 * 4, single.CacheConfig.BytesPerBlock);
    }
}
