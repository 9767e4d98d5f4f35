using System.Text;
using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>
/// Finish conditions on qwen2-tiny, whose greedy continuation of "Hello, world!" is known:
/// " JACK" " multiplier" "Supp" " SDK" " WR" " presently" ...
/// </summary>
[Collection(Qwen2TinyCollection.Name)]
public sealed class StopConditionTests(Qwen2TinyEngineFixture fixture)
{
    private static readonly GenerationRequest Greedy = new("Hello, world!") { Temperature = 0, MaxTokens = 24 };

    [Fact]
    public void Generate_StopStringInsideToken_TextEndsBeforeItWithStop()
    {
        var (text, tokens, result) = Run(Greedy with { StopStrings = ["SDK"] });

        Assert.Equal(" JACK multiplierSupp ", text);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal(4, result.CompletionTokens);
        Assert.Equal(4, tokens.Count);
    }

    [Fact]
    public void Generate_StopStringAcrossTokens_NeverEmitted()
    {
        var (text, tokens, result) = Run(Greedy with { StopStrings = ["xyz", "Supp SD"] });

        Assert.Equal(" JACK multiplier", text);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.DoesNotContain(tokens, t => t.TextDelta.Contains("Supp", StringComparison.Ordinal));
    }

    [Fact]
    public void Generate_TextThatMightStartAStopString_HeldBackThenReleasedAtLength()
    {
        var (text, tokens, result) = Run(Greedy with { MaxTokens = 3, StopStrings = ["Suppose"] });

        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(" JACK multiplierSupp", text);
        Assert.Equal("Supp", tokens[^1].TextDelta);
    }

    [Fact]
    public void Generate_MaxTokensReached_FinishesWithLength()
    {
        var (_, tokens, result) = Run(Greedy with { MaxTokens = 5 });

        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(5, result.CompletionTokens);
        Assert.Equal(5, tokens.Count);
    }

    private (string Text, List<GeneratedToken> Tokens, GenerationResult Result) Run(GenerationRequest request)
    {
        var tokens = new List<GeneratedToken>();
        var result = fixture.Engine.Generate(request, tokens.Add, CancellationToken.None);
        return (string.Concat(tokens.Select(t => t.TextDelta)), tokens, result);
    }
}
