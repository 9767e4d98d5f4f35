namespace Omni.ArStage.Engine;

/// <summary>
/// Hands out the KV pool's blocks and keeps the prefix cache. A block is held by the sequences that reference it
/// (reference counted); a free block that is full of known tokens stays findable by its <see cref="BlockKey"/> until
/// it is reused, so a later prompt with the same prefix shares it instead of recomputing it. Free blocks are reused
/// least recently freed first, and a sequence's blocks are freed tail first, so shared prefixes are evicted last.
/// </summary>
internal sealed class BlockManager
{
    private const ulong RootHash = 0x6F6D6E692D6B7600UL;

    private readonly int[] _references;
    private readonly BlockKey?[] _keys;
    private readonly LinkedList<int> _free = new();
    private readonly LinkedListNode<int>?[] _freeNodes;
    private readonly Dictionary<BlockKey, int> _cache = [];

    public BlockManager(int numBlocks, int blockSize, bool prefixCaching)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numBlocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        NumBlocks = numBlocks;
        BlockSize = blockSize;
        PrefixCaching = prefixCaching;
        _references = new int[numBlocks];
        _keys = new BlockKey?[numBlocks];
        _freeNodes = new LinkedListNode<int>?[numBlocks];
        for (var block = 0; block < numBlocks; block++)
        {
            _freeNodes[block] = _free.AddLast(block);
        }
    }

    public int NumBlocks { get; }

    public int BlockSize { get; }

    public bool PrefixCaching { get; }

    public int FreeBlocks => _free.Count;

    /// <summary>Fraction of blocks held by some sequence (cached blocks nobody holds are free).</summary>
    public double Usage => (double)(NumBlocks - _free.Count) / NumBlocks;

    public int BlocksFor(int tokens) => (tokens + BlockSize - 1) / BlockSize;

    /// <summary>
    /// The cached blocks that hold the longest prefix of the sequence's first <paramref name="maxTokens"/> tokens,
    /// in whole blocks. Nothing is acquired yet.
    /// </summary>
    public List<int> FindCachedPrefix(Sequence sequence, int maxTokens)
    {
        var hits = new List<int>();
        if (!PrefixCaching || sequence.PromptEmbeddings is not null)
        {
            return hits;
        }

        var full = Math.Max(0, maxTokens) / BlockSize;
        ExtendHashes(sequence, full);
        for (var b = 0; b < full; b++)
        {
            if (!_cache.TryGetValue(KeyOf(sequence, b), out var block))
            {
                break;
            }

            hits.Add(block);
        }

        return hits;
    }

    /// <summary>Free blocks that remain for new allocations once <paramref name="blocks"/> are acquired.</summary>
    public int FreeAfterAcquiring(IReadOnlyList<int> blocks) => _free.Count - blocks.Count(b => _references[b] == 0);

    /// <summary>Takes a reference on each of <paramref name="blocks"/> (cached blocks found by <see cref="FindCachedPrefix"/>).</summary>
    public void Acquire(IReadOnlyList<int> blocks)
    {
        foreach (var block in blocks)
        {
            if (_references[block]++ == 0)
            {
                _free.Remove(_freeNodes[block]!);
                _freeNodes[block] = null;
            }
        }
    }

    /// <summary>Appends <paramref name="count"/> fresh blocks to <paramref name="table"/>, or nothing when too few are free.</summary>
    public bool TryAllocate(List<int> table, int count)
    {
        if (count > _free.Count)
        {
            return false;
        }

        for (var i = 0; i < count; i++)
        {
            var block = _free.First!.Value;
            _free.RemoveFirst();
            _freeNodes[block] = null;
            if (_keys[block] is { } key)
            {
                // Reused: its old contents are no longer findable.
                _cache.Remove(key);
                _keys[block] = null;
            }

            _references[block] = 1;
            table.Add(block);
        }

        return true;
    }

    /// <summary>Drops the references of a block table; blocks nobody holds become free (and stay cached until reused).</summary>
    public void Release(IReadOnlyList<int> table)
    {
        for (var i = table.Count - 1; i >= 0; i--)
        {
            var block = table[i];
            if (_references[block] <= 0)
            {
                throw new InvalidOperationException($"Block {block} released more often than it was acquired.");
            }

            if (--_references[block] == 0)
            {
                _freeNodes[block] = _free.AddLast(block);
            }
        }
    }

    /// <summary>Offers the sequence's newly completed (full and computed) blocks to the prefix cache.</summary>
    public void Commit(Sequence sequence)
    {
        var full = sequence.Computed / BlockSize;
        if (!PrefixCaching || sequence.PromptEmbeddings is not null || full <= sequence.CommittedBlocks)
        {
            return;
        }

        ExtendHashes(sequence, full);
        for (var b = sequence.CommittedBlocks; b < full; b++)
        {
            var block = sequence.BlockTable[b];
            var key = KeyOf(sequence, b);
            // A block that already holds a key (shared from the cache) or contents someone else cached first stays as it is.
            if (_keys[block] is null && _cache.TryAdd(key, block))
            {
                _keys[block] = key;
            }
        }

        sequence.CommittedBlocks = full;
    }

    private void ExtendHashes(Sequence sequence, int blocks)
    {
        for (var b = sequence.BlockHashes.Count; b < blocks; b++)
        {
            sequence.BlockHashes.Add(KeyOf(sequence, b).Hash);
        }
    }

    private BlockKey KeyOf(Sequence sequence, int block) =>
        new(block == 0 ? RootHash : sequence.BlockHashes[block - 1], sequence.Tokens.GetRange(block * BlockSize, BlockSize).ToArray());
}
