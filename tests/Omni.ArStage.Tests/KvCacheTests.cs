using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

public sealed class KvCacheTests
{
    private static readonly int[] Ids = [5, 17, 123, 42, 7, 250, 99, 3, 64, 181, 12, 77];

    [Fact]
    public void Forward_TokenByTokenWithKvCache_MatchesFullForward()
    {
        using var model = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 1);

        var full = TestModels.FullForwardLogits(model, Ids);
        var cached = TestModels.CachedLogits(model, Ids, prefill: 4);

        Assert.True(TestModels.MaxAbsDifference(full, cached) < 1e-4);
    }

    [Fact]
    public void Forward_MultiTokenChunksAfterCachedPrefix_MatchesFullForward()
    {
        using var model = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 2);

        var full = TestModels.FullForwardLogits(model, Ids);
        var cached = TestModels.CachedLogits(model, Ids, prefill: 3, chunk: 3);

        Assert.True(TestModels.MaxAbsDifference(full, cached) < 1e-4);
    }
}
