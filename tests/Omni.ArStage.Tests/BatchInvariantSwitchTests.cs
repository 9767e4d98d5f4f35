using Omni.ArStage.Engine;
using Omni.ArStage.Model;
using Omni.ArStage.Serving;
using Omni.ArStage.Tests.Reference;
using Omni.ArStage.Tests.Support;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>`--batch-invariant false`: the plain operators, no padding rows, the same reference outputs.</summary>
public sealed class BatchInvariantSwitchTests
{
    [Theory]
    [InlineData(true, 4)]
    [InlineData(false, 1)]
    public void Create_OneDecodeRowOnCpu_PaddedOnlyWhenBatchInvariant(bool batchInvariant, int expectedRows)
    {
        using var scope = NewDisposeScope();

        var batch = ForwardBatch.Create([new ScheduledChunk([5, 6, 7], 2, 1, [0])], 16, CPU, batchInvariant);

        Assert.Equal((1, expectedRows, batchInvariant), (batch.Rows, batch.PaddedRows, batch.BatchInvariant));
        Assert.Equal(expectedRows, batch.InputIds.shape[0]);
    }

    [Fact]
    public void ToEngineOptions_BatchInvariantFalse_ReachesTheEngine()
    {
        Assert.False(ArEngineLoader.ToEngineOptions(new ArStageOptions { BatchInvariant = false }).BatchInvariant);
        Assert.True(ArEngineLoader.ToEngineOptions(new ArStageOptions()).BatchInvariant);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_OnCpu_BatchInvarianceAsConfigured(bool batchInvariant)
    {
        using var engine = TestEngines.Qwen2Tiny(options => options with { BatchInvariant = batchInvariant });

        Assert.Equal(batchInvariant, engine.BatchInvariant);
    }

    [Fact]
    public void Generate_BatchInvariantOffPromptsOfManyLengthsTogether_SameTokensAsAlone()
    {
        string[] prompts =
        [
            "The harbor at dawn",
            "A quiet street with rows of old houses, their shutters painted green and their doors left open to the morning air",
            "Rain",
            "An old lighthouse stood on the rocks at the end of the long pier, and every night its keeper climbed the stairs to light it again",
        ];
        var requests = prompts.Select(prompt => new GenerationRequest(prompt) { Temperature = 0, MaxTokens = 12, IgnoreEos = true }).ToArray();
        using var engine = TestEngines.Qwen2Tiny(options => options with { BatchInvariant = false });

        var alone = TestEngines.RunAlone(engine, requests);
        var (together, _) = TestEngines.RunTogether(engine, requests);

        Assert.Equal(alone, together);
    }

    [Fact]
    public void Generate_BatchInvariantOff_GreedyIdsAndLogprobsMatchReference()
    {
        var expected = ExpectedQwen2Tiny.Load();
        using var engine = TestEngines.Qwen2Tiny(options => options with { BatchInvariant = false });
        var tokens = new List<GeneratedToken>();

        engine.Generate(new GenerationRequest(expected.Prompt) { Temperature = 0, MaxTokens = 24, Logprobs = 1 }, tokens.Add, CancellationToken.None);

        Assert.Equal(expected.TokenIds, tokens.Select(token => token.TokenId));
        Assert.All(tokens.Zip(expected.Steps), pair => Assert.InRange(pair.First.Logprob!.Logprob, pair.Second.Logprob - 1e-3, pair.Second.Logprob + 1e-3));
    }
}
