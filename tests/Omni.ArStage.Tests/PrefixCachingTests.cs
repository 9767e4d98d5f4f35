using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>Identical prompt prefixes share full KV blocks instead of being recomputed.</summary>
public sealed class PrefixCachingTests
{
    private const string SharedPrefix = "You are a helpful assistant. Answer briefly and precisely, and never make anything up. Question: ";

    [Fact]
    public void GenerateAsync_SamePrefixTwice_SecondReusesFullBlocksWithSameTokens()
    {
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4 }, observer);
        var first = new GenerationRequest(SharedPrefix + "what is a cat?") { Temperature = 0, MaxTokens = 10 };
        var second = first with { Prompt = SharedPrefix + "what is a dog?" };
        using var uncached = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4, EnablePrefixCaching = false });

        var firstIds = TestEngines.RunAlone(engine, [first])[0];
        var tokens = new List<int>();
        var result = engine.Generate(second, t => tokens.Add(t.TokenId), CancellationToken.None);

        var prefixTokens = engine.CountTokens(SharedPrefix);
        Assert.InRange(result.CachedPromptTokens, prefixTokens - 4, prefixTokens);
        Assert.Equal(0, result.CachedPromptTokens % 4);
        Assert.Equal(TestEngines.RunAlone(uncached, [second])[0], tokens);
        Assert.Equal(TestEngines.RunAlone(uncached, [first])[0], firstIds);
        Assert.Equal(result.CachedPromptTokens, observer.Steps.Sum(s => s.PrefixCacheHits));
        Assert.Equal(engine.CountTokens(first.Prompt) + engine.CountTokens(second.Prompt), observer.Steps.Sum(s => s.PrefixCacheQueries));
    }

    [Fact]
    public void GenerateAsync_SamePromptTwice_RecomputesAtLeastTheLastToken()
    {
        using var engine = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4 });
        var request = new GenerationRequest(SharedPrefix) { Temperature = 0, MaxTokens = 6 };

        var first = TestEngines.RunAlone(engine, [request])[0];
        var tokens = new List<int>();
        var result = engine.Generate(request, t => tokens.Add(t.TokenId), CancellationToken.None);

        Assert.Equal(first, tokens);
        Assert.True(result.CachedPromptTokens > 0);
        Assert.True(result.CachedPromptTokens < result.PromptTokens);
    }

    [Fact]
    public void GenerateAsync_HiddenStatesAfterCachedPrompt_ComputesEveryRowAgain()
    {
        using var engine = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4 });
        var request = new GenerationRequest(SharedPrefix) { Temperature = 0, MaxTokens = 3 };
        TestEngines.RunAlone(engine, [request]);

        var result = engine.Generate(request with { ReturnHiddenStates = true }, null, CancellationToken.None);

        Assert.Equal(0, result.CachedPromptTokens);
        Assert.Equal(result.PromptTokens + 3, result.HiddenStates!.Tokens);
    }

    [Fact]
    public void GenerateAsync_PrefixCachingDisabled_NoQueriesNoHits()
    {
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4, EnablePrefixCaching = false }, observer);
        var request = new GenerationRequest(SharedPrefix) { Temperature = 0, MaxTokens = 3 };

        TestEngines.RunAlone(engine, [request, request]);

        Assert.Equal(0, observer.Steps.Sum(s => s.PrefixCacheQueries));
        Assert.Equal(0, observer.Steps.Sum(s => s.PrefixCacheHits));
        Assert.False(observer.CacheConfig!.PrefixCaching);
    }
}
