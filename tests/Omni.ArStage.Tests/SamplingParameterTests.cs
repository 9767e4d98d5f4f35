using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>
/// The per-request sampling parameters on qwen2-tiny, whose greedy continuation of "Hello, world!" is known
/// (" JACK" " multiplier" "Supp" " SDK" " WR" " presently" ..., with " WR presently" again at tokens 10 and 11).
/// </summary>
[Collection(Qwen2TinyCollection.Name)]
public sealed class SamplingParameterTests(Qwen2TinyEngineFixture fixture)
{
    private static readonly GenerationRequest Greedy = new("Hello, world!") { Temperature = 0, MaxTokens = 12 };

    [Fact]
    public void Generate_MinPNearOne_EqualsGreedy()
    {
        Assert.Equal(Ids(Greedy), Ids(Greedy with { Temperature = 1.5f, MinP = 0.999f, Seed = 4 }));
    }

    [Fact]
    public void Generate_SameSeedTwice_SameTokensDifferentSeeds_DifferentTokens()
    {
        var sampled = Greedy with { Temperature = 1.5f, Seed = 21, MaxTokens = 16 };

        Assert.Equal(Ids(sampled), Ids(sampled));
        Assert.NotEqual(Ids(sampled), Ids(sampled with { Seed = 22 }));
    }

    [Fact]
    public void Generate_StrongRepetitionPenalty_NeverRepeatsAToken()
    {
        // Greedy decoding of this model repeats " WR presently" within 12 tokens.
        Assert.True(Ids(Greedy).Distinct().Count() < 12);

        var ids = Ids(Greedy with { RepetitionPenalty = 2f, MaxTokens = 12 });

        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void Generate_StrongPresencePenalty_NeverRepeatsAGeneratedToken()
    {
        var ids = Ids(Greedy with { PresencePenalty = 2f, FrequencyPenalty = 2f });

        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void Generate_NegativeFrequencyPenalty_FavoursRepetition()
    {
        var ids = Ids(Greedy with { FrequencyPenalty = -2f, MaxTokens = 8 });

        Assert.True(ids.Distinct().Count() < Ids(Greedy with { MaxTokens = 8 }).Distinct().Count());
    }

    [Fact]
    public void Generate_StopTokenId_FinishesWithStopWithoutItsText()
    {
        var tokens = new List<GeneratedToken>();

        var greedy = ExpectedQwen2Tiny.Load().TokenIds;

        var result = fixture.Engine.Generate(Greedy with { StopTokenIds = [greedy[2]] }, tokens.Add, CancellationToken.None);

        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal(greedy.Take(3), tokens.Select(t => t.TokenId));
        Assert.Equal("", tokens[^1].TextDelta);
        Assert.Equal(" JACK multiplier", string.Concat(tokens.Select(t => t.TextDelta)));
    }

    [Fact]
    public void Generate_LogprobsTopThree_ChosenIsBestAndTopIsSorted()
    {
        var tokens = new List<GeneratedToken>();

        fixture.Engine.Generate(Greedy with { Logprobs = 3, MaxTokens = 5 }, tokens.Add, CancellationToken.None);

        Assert.All(tokens, token =>
        {
            var logprob = token.Logprob!;
            Assert.Equal(token.TokenId, logprob.TokenId);
            Assert.Equal(3, logprob.Top.Count);
            Assert.Equal(logprob.Top[0].TokenId, token.TokenId);
            Assert.Equal(logprob.Top[0].Logprob, logprob.Logprob);
            Assert.True(logprob.Top[0].Logprob >= logprob.Top[1].Logprob && logprob.Top[1].Logprob >= logprob.Top[2].Logprob);
            Assert.True(logprob.Logprob <= 0);
        });
    }

    [Fact]
    public void Generate_LogprobsZero_ChosenOnlyAndNoneWhenNotAsked()
    {
        var tokens = new List<GeneratedToken>();

        fixture.Engine.Generate(Greedy with { Logprobs = 0, Temperature = 1, Seed = 2, MaxTokens = 3 }, tokens.Add, CancellationToken.None);
        var plain = new List<GeneratedToken>();
        fixture.Engine.Generate(Greedy with { MaxTokens = 3 }, plain.Add, CancellationToken.None);

        Assert.All(tokens, token => Assert.Empty(token.Logprob!.Top));
        Assert.All(plain, token => Assert.Null(token.Logprob));
    }

    [Theory]
    [InlineData(0.5f, 1f, 1f, 0f, 0f, 0, false)]
    [InlineData(0f, 1.1f, 1f, 0f, 0f, 0, false)]
    [InlineData(0f, -1f, 1f, 0f, 0f, 0, false)]
    [InlineData(0f, 0f, 0f, 0f, 0f, 0, false)]
    [InlineData(0f, 0f, 1f, float.NaN, 0f, 0, false)]
    [InlineData(0f, 0f, 1f, 0f, float.PositiveInfinity, 0, false)]
    [InlineData(0f, 0f, 1f, 0f, 0f, 50257, false)]
    [InlineData(0f, 0f, 1f, 0f, 0f, 0, true)]
    public void Generate_InvalidParameters_ThrowsArgumentException(
        float temperature, float minP, float repetition, float presence, float frequency, int stopToken, bool negativeLogprobs)
    {
        var request = Greedy with
        {
            Temperature = temperature == 0.5f ? -1 : 0,
            MinP = minP,
            RepetitionPenalty = repetition,
            PresencePenalty = presence,
            FrequencyPenalty = frequency,
            StopTokenIds = stopToken > 0 ? [stopToken] : [],
            Logprobs = negativeLogprobs ? -1 : null,
        };

        Assert.Throws<ArgumentException>(() => fixture.Engine.Generate(request, null, CancellationToken.None));
    }

    private List<int> Ids(GenerationRequest request)
    {
        var ids = new List<int>();
        fixture.Engine.Generate(request, t => ids.Add(t.TokenId), CancellationToken.None);
        return ids;
    }
}
