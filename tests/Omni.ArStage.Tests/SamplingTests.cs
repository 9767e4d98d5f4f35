using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

[Collection(DefaultModelCollection.Name)]
public sealed class SamplingTests(DefaultModelEngineFixture fixture)
{
    private const string Prompt = "The quick brown fox";

    [Fact]
    public void Generate_GreedyTwice_SameTokens()
    {
        var request = new GenerationRequest(Prompt) { Temperature = 0, MaxTokens = 16 };

        Assert.Equal(TokenIds(request), TokenIds(request));
    }

    [Fact]
    public void Generate_SameSeedTwice_SameTokens()
    {
        var request = new GenerationRequest(Prompt) { Temperature = 0.9f, TopP = 0.95f, TopK = 1000, Seed = 1234, MaxTokens = 16 };

        Assert.Equal(TokenIds(request), TokenIds(request));
    }

    [Fact]
    public void Generate_DifferentSeeds_DifferentTokens()
    {
        var request = new GenerationRequest(Prompt) { Temperature = 1f, MaxTokens = 16 };

        Assert.NotEqual(TokenIds(request with { Seed = 1 }), TokenIds(request with { Seed = 2 }));
    }

    [Fact]
    public void Generate_TopKOne_EqualsGreedy()
    {
        var greedy = new GenerationRequest(Prompt) { Temperature = 0, MaxTokens = 12 };

        Assert.Equal(TokenIds(greedy), TokenIds(greedy with { Temperature = 1f, TopK = 1, Seed = 99 }));
    }

    [Fact]
    public void Generate_TinyTopP_EqualsGreedy()
    {
        var greedy = new GenerationRequest(Prompt) { Temperature = 0, MaxTokens = 12 };

        Assert.Equal(TokenIds(greedy), TokenIds(greedy with { Temperature = 1f, TopP = 1e-6f, Seed = 7 }));
    }

    private List<int> TokenIds(GenerationRequest request)
    {
        var ids = new List<int>();
        fixture.Engine.Generate(request, t => ids.Add(t.TokenId), CancellationToken.None);
        return ids;
    }
}
