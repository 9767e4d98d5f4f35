using System.Text;
using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>The engine against reference outputs computed to transformers' semantics for a real Qwen2 checkpoint.</summary>
[Collection(Qwen2TinyCollection.Name)]
public sealed class Qwen2FidelityTests(Qwen2TinyEngineFixture fixture)
{
    private const double Tolerance = 1e-3;
    private readonly ExpectedQwen2Tiny _expected = ExpectedQwen2Tiny.Load();

    [Fact]
    public void Encode_HelloWorld_GivesGpt2Ids()
    {
        Assert.Equal([15496, 11, 995, 0], fixture.Engine.Tokenizer.Encode("Hello, world!"));
        Assert.Equal(_expected.PromptIds, fixture.Engine.Tokenizer.Encode(_expected.Prompt));
    }

    [Fact]
    public void Generate_Greedy24Tokens_MatchesReferenceIds()
    {
        var tokens = new List<GeneratedToken>();

        var result = fixture.Engine.Generate(Greedy(24), tokens.Add, CancellationToken.None);

        Assert.Equal(_expected.TokenIds, tokens.Select(t => t.TokenId));
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(4, result.PromptTokens);
        Assert.Equal(24, result.CompletionTokens);
    }

    [Fact]
    public void Generate_Greedy24Tokens_TextBytesMatchReference()
    {
        var text = new StringBuilder();

        fixture.Engine.Generate(Greedy(24), t => text.Append(t.TextDelta), CancellationToken.None);

        Assert.Equal(Convert.ToHexString(_expected.TextBytes), Convert.ToHexString(Encoding.UTF8.GetBytes(text.ToString())));
    }

    [Fact]
    public void Forward_PromptLastPosition_LogitsMatchReferenceFile()
    {
        var expected = ExpectedQwen2Tiny.PromptLastLogits();

        var actual = TestModels.FullForwardLogits(fixture.Engine.Model, _expected.PromptIds);

        var last = actual.GetLength(0) - 1;
        Assert.Equal(expected.Length, actual.GetLength(1));
        var maxDifference = Enumerable.Range(0, expected.Length).Max(v => Math.Abs((double)actual[last, v] - expected[v]));
        Assert.True(maxDifference < Tolerance, $"max |difference| {maxDifference}");
    }

    [Fact]
    public void Decode_EachGreedyStep_ChosenLogitAndLogprobMatchReference()
    {
        var ids = _expected.PromptIds.Concat(_expected.TokenIds).ToArray();

        var logits = TestModels.CachedLogits(fixture.Engine.Model, ids, prefill: _expected.PromptIds.Length);

        for (var step = 0; step < _expected.Steps.Length; step++)
        {
            var (tokenId, logit, logprob) = _expected.Steps[step];
            var row = Enumerable.Range(0, logits.GetLength(1)).Select(v => (double)logits[_expected.PromptIds.Length - 1 + step, v]).ToArray();
            var max = row.Max();
            var logSumExp = max + Math.Log(row.Sum(v => Math.Exp(v - max)));

            Assert.Equal(tokenId, Array.IndexOf(row, max));
            Assert.InRange(row[tokenId], logit - Tolerance, logit + Tolerance);
            Assert.InRange(row[tokenId] - logSumExp, logprob - Tolerance, logprob + Tolerance);
        }
    }

    private static GenerationRequest Greedy(int maxTokens) =>
        new("Hello, world!") { Temperature = 0, MaxTokens = maxTokens };
}
