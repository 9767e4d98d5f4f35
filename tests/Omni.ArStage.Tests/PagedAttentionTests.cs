using Omni.ArStage.Model;
using Omni.ArStage.Tests.Support;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

public sealed class PagedAttentionTests
{
    private static readonly int[] Ids = [5, 17, 123, 42, 7, 250, 99, 3, 64, 181, 12, 77];

    [Fact]
    public void Forward_TokenByTokenThroughPagedCache_MatchesFullForward()
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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Forward_DecodesAndPrefillsInOneBatch_MatchEachSequenceAlone(bool batchInvariant)
    {
        using var model = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 3);
        int[] a = [5, 17, 123, 42, 7, 250, 99, 3, 64];
        int[] b = [181, 12, 77, 5, 6];
        int[] c = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 13, 17];
        int[] d = [42];
        const int blockSize = 4;
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        using var pool = new KvBlockPool(model.Config, 16, blockSize, ScalarType.Float32, CPU);
        int[] tableA = [3, 0], tableB = [7, 1], tableC = [2, 9, 4, 12], tableD = [15];
        // First pass: prefixes of a and b (b's prefix 4 long, so its decode below starts a fresh block).
        var warmup = ForwardBatch.Create(
            [new ScheduledChunk(a, 0, 6, tableA), new ScheduledChunk(b, 0, 4, tableB), new ScheduledChunk(c, 0, 5, tableC)],
            blockSize, CPU, batchInvariant);
        model.call(warmup, pool);

        // Second pass: a decodes position 6, b decodes position 4, c continues with a chunk of 8, d is a new 1-token prompt.
        var batch = ForwardBatch.Create(
            [new ScheduledChunk(a, 6, 1, tableA), new ScheduledChunk(c, 5, 8, tableC), new ScheduledChunk(b, 4, 1, tableB), new ScheduledChunk(d, 0, 1, tableD)],
            blockSize, CPU, batchInvariant);
        var logits = model.Logits(model.call(batch, pool));

        TestModels.AssertRowMatchesAlone(model, a, 6, logits[batch.RowStarts[0]]);
        TestModels.AssertRowMatchesAlone(model, c, 12, logits[batch.RowStarts[1] + 7]);
        TestModels.AssertRowMatchesAlone(model, b, 4, logits[batch.RowStarts[2]]);
        TestModels.AssertRowMatchesAlone(model, d, 0, logits[batch.RowStarts[3]]);
    }
}
