using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

[Collection(DefaultModelCollection.Name)]
public sealed class ArEngineTests(DefaultModelEngineFixture fixture)
{
    [Fact]
    public void Generate_PromptLongerThanContext_ThrowsNamingTheLimit()
    {
        var prompt = string.Concat(Enumerable.Repeat(" hello", 4100));

        var error = Assert.Throws<ArgumentException>(() =>
            fixture.Engine.Generate(new GenerationRequest(prompt) { MaxTokens = 10 }, null, CancellationToken.None));

        Assert.Contains("4086", error.Message);
        Assert.Contains("max_position_embeddings (4096)", error.Message);
    }

    [Fact]
    public void Generate_CancelledDuringDecode_ThrowsOperationCanceled()
    {
        using var cancellation = new CancellationTokenSource();
        var seen = 0;

        Assert.ThrowsAny<OperationCanceledException>(() => fixture.Engine.Generate(
            new GenerationRequest("Hi") { Temperature = 0, MaxTokens = 50 },
            _ =>
            {
                if (++seen == 3)
                {
                    cancellation.Cancel();
                }
            },
            cancellation.Token));
        Assert.Equal(3, seen);
    }

    [Fact]
    public void Generate_EmptyPrompt_StartsFromBos()
    {
        var result = fixture.Engine.Generate(new GenerationRequest("") { Temperature = 0, MaxTokens = 2 }, null, CancellationToken.None);

        Assert.Equal(1, result.PromptTokens);
        Assert.Equal(2, result.CompletionTokens);
    }

    [Fact]
    public void Generate_MaxTokensExceeded_StreamsEveryTokenAndFinishesWithLength()
    {
        var tokens = new List<GeneratedToken>();

        var result = fixture.Engine.Generate(new GenerationRequest("Hello") { Temperature = 0, MaxTokens = 8 }, tokens.Add, CancellationToken.None);

        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(8, tokens.Count);
        Assert.Equal(fixture.Engine.Tokenizer.Decode(tokens.Select(t => t.TokenId)), string.Concat(tokens.Select(t => t.TextDelta)));
        Assert.True(result.PrefillTime > TimeSpan.Zero);
        Assert.True(result.DecodeTime > TimeSpan.Zero);
    }

    [Theory]
    [InlineData(-1, 1f, 1f, 0)]
    [InlineData(4, -0.5f, 1f, 0)]
    [InlineData(4, 1f, 0f, 0)]
    [InlineData(4, 1f, 1.5f, 0)]
    [InlineData(4, 1f, 1f, -3)]
    public void Generate_InvalidSamplingParameters_ThrowsArgumentException(int maxTokens, float temperature, float topP, int topK)
    {
        var request = new GenerationRequest("Hi") { MaxTokens = maxTokens, Temperature = temperature, TopP = topP, TopK = topK };

        Assert.Throws<ArgumentException>(() => fixture.Engine.Generate(request, null, CancellationToken.None));
    }

    [Fact]
    public void Generate_WithSamplingAndHiddenStates_LeavesNoLiveTensorsBehind()
    {
        var request = new GenerationRequest("Leak check") { Temperature = 0.7f, TopK = 50, TopP = 0.9f, Seed = 3, MaxTokens = 12, ReturnHiddenStates = true };
        fixture.Engine.Generate(request, null, CancellationToken.None);
        var before = fixture.Engine.EngineThreadLiveTensors;

        fixture.Engine.Generate(request, null, CancellationToken.None);
        fixture.Engine.Generate(request with { Temperature = 0, GenerateText = false }, null, CancellationToken.None);

        Assert.Equal(before, fixture.Engine.EngineThreadLiveTensors);
    }

    [Fact]
    public void CountTokens_HelloWorld_CountsGpt2Tokens()
    {
        Assert.Equal(4, fixture.Engine.CountTokens("Hello, world!"));
    }
}
