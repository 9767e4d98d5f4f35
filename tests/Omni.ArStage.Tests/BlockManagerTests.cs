using Omni.ArStage.Engine;
using Omni.ArStage.Tokenization;

namespace Omni.ArStage.Tests;

/// <summary>Block allocation, reference counts and the prefix cache, without a model.</summary>
public sealed class BlockManagerTests
{
    private const int BlockSize = 4;

    [Fact]
    public void TryAllocate_MoreThanFree_TakesNothing()
    {
        var blocks = new BlockManager(4, BlockSize, prefixCaching: true);
        var table = new List<int>();

        Assert.True(blocks.TryAllocate(table, 3));
        Assert.False(blocks.TryAllocate(table, 2));

        Assert.Equal(3, table.Count);
        Assert.Equal(1, blocks.FreeBlocks);
        Assert.Equal(0.75, blocks.Usage);
    }

    [Fact]
    public void FindCachedPrefix_AfterCommitAndRelease_FindsFullBlocksOnly()
    {
        var blocks = new BlockManager(8, BlockSize, prefixCaching: true);
        var first = Computed(blocks, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        blocks.Release(first.BlockTable);
        var second = NewSequence([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12]);

        var hits = blocks.FindCachedPrefix(second, second.Tokens.Count - 1);

        Assert.Equal(first.BlockTable.Take(2), hits);
        Assert.Equal(0, blocks.Usage);
    }

    [Fact]
    public void FindCachedPrefix_DifferentEarlierBlock_NoHitForIdenticalLaterBlock()
    {
        var blocks = new BlockManager(8, BlockSize, prefixCaching: true);
        Computed(blocks, [1, 2, 3, 4, 5, 6, 7, 8]);

        var other = NewSequence([9, 9, 9, 9, 5, 6, 7, 8, 1]);

        Assert.Empty(blocks.FindCachedPrefix(other, other.Tokens.Count - 1));
    }

    [Fact]
    public void Acquire_SharedBlock_FreedOnlyWhenEveryHolderReleases()
    {
        var blocks = new BlockManager(4, BlockSize, prefixCaching: true);
        var first = Computed(blocks, [1, 2, 3, 4, 5]);
        var second = NewSequence([1, 2, 3, 4, 6]);
        var hits = blocks.FindCachedPrefix(second, 4);

        blocks.Acquire(hits);
        blocks.Release(first.BlockTable);

        Assert.Equal(3, blocks.FreeBlocks);
        blocks.Release(hits);
        Assert.Equal(4, blocks.FreeBlocks);
    }

    [Fact]
    public void TryAllocate_ReusingACachedBlock_EvictsItFromTheCache()
    {
        var blocks = new BlockManager(2, BlockSize, prefixCaching: true);
        var first = Computed(blocks, [1, 2, 3, 4]);
        blocks.Release(first.BlockTable);

        Assert.True(blocks.TryAllocate([], 2));

        var again = NewSequence([1, 2, 3, 4, 5]);
        Assert.Empty(blocks.FindCachedPrefix(again, 4));
    }

    [Fact]
    public void Release_TwiceTheSameBlock_Throws()
    {
        var blocks = new BlockManager(2, BlockSize, prefixCaching: false);
        var table = new List<int>();
        blocks.TryAllocate(table, 1);
        blocks.Release(table);

        Assert.Throws<InvalidOperationException>(() => blocks.Release(table));
    }

    [Fact]
    public void FindCachedPrefix_CachingDisabled_FindsNothing()
    {
        var blocks = new BlockManager(4, BlockSize, prefixCaching: false);
        Computed(blocks, [1, 2, 3, 4, 5]);

        Assert.Empty(blocks.FindCachedPrefix(NewSequence([1, 2, 3, 4, 5]), 4));
    }

    // A sequence whose tokens all have keys/values: blocks allocated and committed.
    private static Sequence Computed(BlockManager blocks, int[] tokens)
    {
        var sequence = NewSequence(tokens);
        Assert.True(blocks.TryAllocate(sequence.BlockTable, blocks.BlocksFor(tokens.Length)));
        sequence.Computed = tokens.Length;
        blocks.Commit(sequence);
        return sequence;
    }

    private static Sequence NewSequence(int[] tokens) =>
        new(new GenerationRequest("x"), tokens, new TextStream(Gpt2TextTokenizer.Instance, [], new HashSet<int>()), 1, null, CancellationToken.None);
}
