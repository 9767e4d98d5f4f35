using System.Text;
using Omni.ArStage.Engine;
using Omni.ArStage.Model;
using Omni.ArStage.Tests.Support;
using static TorchSharp.torch;

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
        var model = fixture.Engine.Model;
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        using var cache = new KvCache(model.Config, _expected.PromptIds.Length + _expected.Steps.Length, CPU);
        var input = tensor(_expected.PromptIds.Select(i => (long)i).ToArray(), [1, _expected.PromptIds.Length]);
        foreach (var (tokenId, logit, logprob) in _expected.Steps)
        {
            var logits = model.Logits(model.call(input, cache).select(1, -1)).squeeze(0).to(ScalarType.Float64);
            var logprobs = logits.log_softmax(-1);

            Assert.Equal(tokenId, (int)logits.argmax().item<long>());
            Assert.InRange(logits[tokenId].item<double>(), logit - Tolerance, logit + Tolerance);
            Assert.InRange(logprobs[tokenId].item<double>(), logprob - Tolerance, logprob + Tolerance);
            input = tensor(new long[] { tokenId }, [1, 1]);
        }
    }

    private static GenerationRequest Greedy(int maxTokens) =>
        new("Hello, world!") { Temperature = 0, MaxTokens = maxTokens };
}
