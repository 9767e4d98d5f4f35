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

    [Fact]
    public void Generate_EosToken_FinishesWithStopWithoutItsText()
    {
        // The same checkpoint, but with the third greedy token ("Supp", 15979) declared end-of-sequence.
        using var directory = new TempDirectory();
        foreach (var file in Directory.GetFiles(Fixtures.Qwen2TinyDirectory))
        {
            File.Copy(file, Path.Combine(directory.Path, Path.GetFileName(file)));
        }

        var configPath = Path.Combine(directory.Path, "config.json");
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"eos_token_id\": 50256", "\"eos_token_id\": [50256, 15979]"));
        using var engine = TestEngines.Qwen2Tiny(o => o with { ModelDirectory = directory.Path });
        var tokens = new List<GeneratedToken>();

        var result = engine.Generate(Greedy, tokens.Add, CancellationToken.None);

        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal(3, result.CompletionTokens);
        Assert.Equal(new GeneratedToken(15979, ""), tokens[^1]);
        Assert.Equal(" JACK multiplier", string.Concat(tokens.Select(t => t.TextDelta)));
    }

    private (string Text, List<GeneratedToken> Tokens, GenerationResult Result) Run(GenerationRequest request)
    {
        var tokens = new List<GeneratedToken>();
        var result = fixture.Engine.Generate(request, tokens.Add, CancellationToken.None);
        return (string.Concat(tokens.Select(t => t.TextDelta)), tokens, result);
    }
}
