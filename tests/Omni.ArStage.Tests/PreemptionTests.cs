using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>A KV pool too small for every running sequence: the newest is preempted and recomputed, nothing changes.</summary>
public sealed class PreemptionTests
{
    private static readonly GenerationRequest[] Requests =
    [
        new("The quick brown fox jumps over") { Temperature = 0, MaxTokens = 24, ReturnHiddenStates = true },
        new("Once upon a time there was") { Temperature = 0.9f, Seed = 3, MaxTokens = 24 },
        new("Hello, world!") { Temperature = 0, MaxTokens = 24, ReturnHiddenStates = true },
        new("Paged attention") { Temperature = 1f, TopK = 20, Seed = 11, MaxTokens = 24 },
    ];

    [Fact]
    public void GenerateAsync_PoolTooSmallForAll_PreemptsAndGivesTheSameOutputs()
    {
        var observer = new RecordingObserver();
        // 12 blocks of 4 tokens: one sequence (at most 32 tokens) always fits, four at once do not.
        using var tight = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4, NumKvBlocks = 12 }, observer);
        using var roomy = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4 });

        var preempted = TestEngines.RunTogether(tight, Requests);
        var reference = TestEngines.RunTogether(roomy, Requests);

        Assert.True(observer.Steps.Sum(s => s.Preemptions) > 0, "the pool was large enough: nothing was preempted");
        Assert.Equal(reference.Ids, preempted.Ids);
        foreach (var i in new[] { 0, 2 })
        {
            var expected = reference.Results[i].HiddenStates!;
            var actual = preempted.Results[i].HiddenStates!;
            Assert.Equal(expected.Tokens, actual.Tokens);
            Assert.True(expected.Data.Zip(actual.Data).Max(p => Math.Abs(p.First - p.Second)) < 1e-4);
        }

        Assert.Equal(Requests.Length, observer.Finished.Count(r => r.FinishReason == FinishReason.Length));
        Assert.Equal(Requests.Sum(r => tight.CountTokens(r.Prompt)), observer.Steps.Sum(s => s.PromptTokens));
        Assert.Equal(default, observer.WaitForIdle());
    }

    [Fact]
    public void GenerateAsync_RequestLargerThanThePool_RejectedNamingTheCache()
    {
        using var engine = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4, NumKvBlocks = 4 });

        var error = Assert.Throws<ArgumentException>(() =>
        {
            _ = engine.GenerateAsync(new GenerationRequest("Hello, world!") { MaxTokens = 13 }, null, CancellationToken.None);
        });

        Assert.Contains("KV cache", error.Message);
    }
}
