using Omni.ArStage.Model;
using Omni.ArStage.Tests.Support;
using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>How a step's chunks become one batch: its uploads, its attention groups and the rows it hands back.</summary>
public sealed class ForwardBatchTests
{
    private const int BlockSize = 4;

    private static int[] Ids(int count, int salt) => [.. Enumerable.Range(0, count).Select(i => (i * 31 + salt * 7) % 290 + 3)];

    private static int[] Table(int count, int first) => [.. Enumerable.Range(first, (count + BlockSize - 1) / BlockSize)];

    // Sequences of 40, 20 and 5 tokens, each decoding its last token, or the last one prefilling all five.
    private static ForwardBatch ThreeSequences(bool batchInvariant, bool prefillTheLast)
    {
        var (a, b, c) = (Ids(40, 1), Ids(20, 2), Ids(5, 3));
        return ForwardBatch.Create(
            [new ScheduledChunk(a, 39, 1, Table(40, 0)), new ScheduledChunk(b, 19, 1, Table(20, 10)),
                new ScheduledChunk(c, prefillTheLast ? 0 : 4, prefillTheLast ? 5 : 1, Table(5, 20))],
            BlockSize, CPU, batchInvariant);
    }

    // Without batch invariance, as an engine runs it (keys beside values in the pool): the prefill step, then the step's
    // batch and its logits (in the caller's dispose scope).
    private static (ForwardBatch Batch, Tensor Logits) PrefillThenStep(CausalLanguageModel model, ScheduledChunk[] prefill, ScheduledChunk[] step)
    {
        using var inference = inference_mode();
        using var pool = new KvBlockPool(model.Config, 32, BlockSize, ScalarType.Float32, CPU, keysBesideValues: true);
        model.call(ForwardBatch.Create(prefill, BlockSize, CPU, batchInvariant: false), pool);
        var batch = ForwardBatch.Create(step, BlockSize, CPU, batchInvariant: false);
        return (batch, model.Logits(model.call(batch, pool), batchInvariant: false));
    }

    [Fact]
    public void Create_ManyChunksAndSelections_OneUpload()
    {
        using var scope = NewDisposeScope();
        var (a, b) = (Ids(40, 1), Ids(7, 2));
        var before = DeviceUploads.ThreadCount;

        ForwardBatch.Create([new ScheduledChunk(a, 39, 1, Table(40, 0)), new ScheduledChunk(b, 0, 7, Table(7, 20))], BlockSize, CPU,
            selections: [[new ChunkRow(0, 0), new ChunkRow(1, 6)], [new ChunkRow(1, 2)]]);

        Assert.Equal(1, DeviceUploads.ThreadCount - before);
    }

    [Fact]
    public void Create_Selections_AreTheChunksRows()
    {
        using var scope = NewDisposeScope();
        var (a, b) = (Ids(40, 1), Ids(7, 2));

        var batch = ForwardBatch.Create([new ScheduledChunk(a, 39, 1, Table(40, 0)), new ScheduledChunk(b, 0, 7, Table(7, 20))], BlockSize, CPU,
            selections: [[new ChunkRow(0, 0), new ChunkRow(1, 6)], [new ChunkRow(1, 2)]]);

        Assert.Equal([0L, 7L], batch.Selections[0]!.data<long>().ToArray());
        Assert.Equal([3L], batch.Selections[1]!.data<long>().ToArray());
    }

    [Fact]
    public void Create_EmptySelection_NoTensor()
    {
        using var scope = NewDisposeScope();
        var (a, b) = (Ids(40, 1), Ids(7, 2));

        var batch = ForwardBatch.Create([new ScheduledChunk(a, 39, 1, Table(40, 0)), new ScheduledChunk(b, 0, 7, Table(7, 20))], BlockSize, CPU,
            selections: [[], [new ChunkRow(1, 2)]]);

        Assert.Null(batch.Selections[0]);
        Assert.Equal([3L], batch.Selections[1]!.data<long>().ToArray());
    }

    [Theory]
    [InlineData(true, 3)]
    [InlineData(false, 1)]
    public void Create_TilesOfThreeLengths_OneGroupOnlyWithoutBatchInvariance(bool batchInvariant, int groups)
    {
        using var scope = NewDisposeScope();

        var batch = ThreeSequences(batchInvariant, prefillTheLast: false);

        Assert.Equal(groups, batch.AttentionGroups.Count);
    }

    [Fact]
    public void Create_WithoutBatchInvariance_TheGroupsRealPositionsAreTheRowsInOrder()
    {
        using var scope = NewDisposeScope();
        var (a, b, c) = (Ids(40, 1), Ids(20, 2), Ids(5, 3));

        var batch = ForwardBatch.Create(
            [new ScheduledChunk(a, 30, 10, Table(40, 0)), new ScheduledChunk(b, 19, 1, Table(20, 10)), new ScheduledChunk(c, 0, 5, Table(5, 20))],
            BlockSize, CPU, batchInvariant: false);

        Assert.Equal(Enumerable.Range(0, 16).Select(i => (long)i), batch.AttentionGroups[0].OutputRows!.data<long>().ToArray());
    }

    [Theory]
    [InlineData(true, false, ForwardBatch.AttentionTile)]
    [InlineData(false, false, 1)]
    [InlineData(false, true, ForwardBatch.AttentionTile)]
    public void Create_DecodeRows_OneRowTilesOnlyWithoutBatchInvarianceAndPrefill(bool batchInvariant, bool withPrefill, int tileRows)
    {
        using var scope = NewDisposeScope();

        var batch = ThreeSequences(batchInvariant, withPrefill);

        Assert.All(batch.AttentionGroups, group => Assert.Equal(tileRows, group.TileRows));
    }

    [Fact]
    public void Create_DecodeRowsWithoutBatchInvariance_ATilePerRowOverTheLongestKeysRoundedToTheTile()
    {
        using var scope = NewDisposeScope();

        var group = ThreeSequences(batchInvariant: false, prefillTheLast: false).AttentionGroups.Single();

        Assert.Equal((3, 48), (group.Tiles, group.Length));
        Assert.Equal([3L, 1L, 1L, 48L], group.Mask.shape);
        // Each row sees the keys up to its own position: 40, 20 and 5 of them.
        Assert.Equal([40L, 20L, 5L], group.Mask.sum([1, 2, 3]).data<long>().ToArray());
    }

    [Fact]
    public void Create_DecodeRowsWithoutBatchInvariance_NoQueryOrOutputIndices()
    {
        using var scope = NewDisposeScope();

        var group = ThreeSequences(batchInvariant: false, prefillTheLast: false).AttentionGroups.Single();

        Assert.Equal((null, null, null), (group.QueryRows, group.OutputSlots, group.OutputRows));
    }

    [Fact]
    public void Forward_DecodeRowsOfDifferentLengthsWithoutBatchInvariance_MatchEachSequenceAlone()
    {
        using var model = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 8);
        model.FuseProjections();
        var (a, b, c) = (Ids(37, 1), Ids(5, 2), Ids(20, 3));
        var (tableA, tableB, tableC) = (Table(37, 0), Table(5, 10), Table(20, 12));
        using var scope = NewDisposeScope();

        var (batch, logits) = PrefillThenStep(model,
            [new ScheduledChunk(a, 0, 36, tableA), new ScheduledChunk(b, 0, 4, tableB), new ScheduledChunk(c, 0, 19, tableC)],
            [new ScheduledChunk(a, 36, 1, tableA), new ScheduledChunk(b, 4, 1, tableB), new ScheduledChunk(c, 19, 1, tableC)]);

        Assert.Equal(1, batch.AttentionGroups.Single().TileRows);
        TestModels.AssertRowMatchesAlone(model, a, 36, logits[0]);
        TestModels.AssertRowMatchesAlone(model, b, 4, logits[1]);
        TestModels.AssertRowMatchesAlone(model, c, 19, logits[2]);
    }

    [Fact]
    public void Forward_OneGroupOverTilesOfDifferentLengths_MatchesEachSequenceAlone()
    {
        using var model = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 4);
        var (a, b, c, d) = (Ids(37, 1), Ids(5, 2), Ids(38, 3), Ids(3, 4));
        var (tableA, tableB, tableC, tableD) = (Table(37, 0), Table(5, 10), Table(38, 12), Table(3, 30));
        using var scope = NewDisposeScope();

        // a and b decode (keys up to 48 and 16), c prefills positions 18-37 across three tiles, d is a new prompt.
        var (batch, logits) = PrefillThenStep(model,
            [new ScheduledChunk(a, 0, 36, tableA), new ScheduledChunk(b, 0, 4, tableB), new ScheduledChunk(c, 0, 18, tableC)],
            [new ScheduledChunk(a, 36, 1, tableA), new ScheduledChunk(c, 18, 20, tableC), new ScheduledChunk(b, 4, 1, tableB), new ScheduledChunk(d, 0, 3, tableD)]);

        Assert.Single(batch.AttentionGroups);
        TestModels.AssertRowMatchesAlone(model, a, 36, logits[batch.RowStarts[0]]);
        TestModels.AssertRowMatchesAlone(model, c, 20, logits[batch.RowStarts[1] + 2]);
        TestModels.AssertRowMatchesAlone(model, c, 37, logits[batch.RowStarts[1] + 19]);
        TestModels.AssertRowMatchesAlone(model, b, 4, logits[batch.RowStarts[2]]);
        TestModels.AssertRowMatchesAlone(model, d, 2, logits[batch.RowStarts[3] + 2]);
    }
}
