using Omni.ArStage.Engine;
using Omni.ArStage.Model;
using Omni.ArStage.Tests.Reference;
using Omni.ArStage.Tests.Support;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>The engine's logits against an independent float64 implementation, for a Llama and a Qwen2 checkpoint.</summary>
public sealed class ReferenceImplementationTests : IClassFixture<LlamaCheckpoint>
{
    private const double Tolerance = 1e-3;
    private static readonly int[] LlamaIds = [15496, 11, 995, 0, 314, 1101, 50, 7, 2000, 31, 9999, 42];

    private readonly LlamaCheckpoint _llama;

    public ReferenceImplementationTests(LlamaCheckpoint llama) => _llama = llama;

    [Fact]
    public void Load_LlamaCheckpoint_ReadsLlamaConfig()
    {
        using var model = CheckpointLoader.Load(_llama.Directory, CPU);

        Assert.Equal(TransformerConfig.Llama, model.Config.ModelType);
        Assert.False(model.Config.TieWordEmbeddings);
        Assert.False(model.Config.QkvBias);
        Assert.Equal(500000.0, model.Config.RopeTheta);
        Assert.Contains(model.named_parameters(), p => p.name == "lm_head.weight");
        Assert.DoesNotContain(model.named_parameters(), p => p.name.EndsWith(".bias", StringComparison.Ordinal));
    }

    [Fact]
    public void Forward_LlamaWithKvCache_MatchesFullForward()
    {
        using var model = CheckpointLoader.Load(_llama.Directory, CPU);

        var full = TestModels.FullForwardLogits(model, LlamaIds);
        var cached = TestModels.CachedLogits(model, LlamaIds, prefill: 5);

        Assert.True(TestModels.MaxAbsDifference(full, cached) < 1e-4);
    }

    [Fact]
    public void Forward_LlamaCheckpoint_MatchesFloat64Reference()
    {
        using var model = CheckpointLoader.Load(_llama.Directory, CPU);
        var reference = Float64ReferenceModel.Load(_llama.Directory);

        var actual = TestModels.FullForwardLogits(model, LlamaIds);
        var expected = reference.Logits(LlamaIds);

        AssertClose(expected, actual);
    }

    [Fact]
    public void Forward_Qwen2TinyPromptAndContinuation_MatchesFloat64Reference()
    {
        var expectedOutputs = ExpectedQwen2Tiny.Load();
        var ids = expectedOutputs.PromptIds.Concat(expectedOutputs.TokenIds).ToArray();
        using var engine = TestEngines.Qwen2Tiny();
        var reference = Float64ReferenceModel.Load(Fixtures.Qwen2TinyDirectory);

        var actual = TestModels.CachedLogits(engine.Model, ids, prefill: expectedOutputs.PromptIds.Length);
        var expected = reference.Logits(ids);

        AssertClose(expected, actual);
    }

    [Fact]
    public void Reference_Qwen2TinyPrompt_MatchesPublishedLogits()
    {
        var expectedOutputs = ExpectedQwen2Tiny.Load();
        var published = ExpectedQwen2Tiny.PromptLastLogits();

        var logits = Float64ReferenceModel.Load(Fixtures.Qwen2TinyDirectory).Logits(expectedOutputs.PromptIds)[^1];

        Assert.True(published.Select((value, i) => Math.Abs(value - logits[i])).Max() < Tolerance);
    }

    private static void AssertClose(double[][] expected, float[,] actual)
    {
        Assert.Equal(expected.Length, actual.GetLength(0));
        var maxDifference = 0.0;
        for (var t = 0; t < expected.Length; t++)
        {
            Assert.Equal(expected[t].Length, actual.GetLength(1));
            for (var v = 0; v < expected[t].Length; v++)
            {
                maxDifference = Math.Max(maxDifference, Math.Abs(expected[t][v] - actual[t, v]));
            }
        }

        Assert.True(maxDifference < Tolerance, $"max |difference| {maxDifference}");
    }
}
