namespace Omni.ArStage.Engine;

/// <summary>
/// vLLM-style continuous batching. Each step, running sequences come first: each gets the tokens it still needs
/// (one for a decode, a chunk for an unfinished prefill) within the step's token budget; when the KV pool cannot
/// hold them, the newest running sequence is preempted (its blocks freed, its tokens recomputed later). Then, if
/// nothing was preempted, waiting sequences are admitted first come, first served while they fit the budget,
/// <c>max_num_seqs</c> and the free blocks; a long prompt is admitted with a chunk of it (chunked prefill).
/// </summary>
internal sealed class Scheduler(BlockManager blocks, int maxNumSeqs, int maxNumBatchedTokens)
{
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _running = [];

    public int Running => _running.Count;

    public int Waiting => _waiting.Count;

    public bool IsIdle => _running.Count == 0 && _waiting.Count == 0;

    public double KvCacheUsage => blocks.Usage;

    public void Add(Sequence sequence) => _waiting.AddLast(sequence);

    /// <summary>Takes every waiting and running sequence out (blocks freed), e.g. on shutdown.</summary>
    public List<Sequence> RemoveAll() => RemoveWhere(_ => true);

    /// <summary>Takes out the sequences whose request was cancelled (client gone, deadline), freeing their blocks.</summary>
    public List<Sequence> RemoveCancelled() => RemoveWhere(s => s.CancellationToken.IsCancellationRequested);

    /// <summary>Removes a finished running sequence and frees its blocks.</summary>
    public void Finish(Sequence sequence)
    {
        _running.Remove(sequence);
        blocks.Release(sequence.BlockTable);
        sequence.BlockTable.Clear();
    }

    /// <summary>Offers the blocks the step completed to the prefix cache.</summary>
    public void Commit(Sequence sequence) => blocks.Commit(sequence);

    public SchedulerOutput Schedule()
    {
        var batch = new List<ScheduledSequence>();
        var budget = maxNumBatchedTokens;
        var preemptions = 0;
        for (var i = 0; i < _running.Count && budget > 0; i++)
        {
            var sequence = _running[i];
            var count = Math.Min(sequence.Remaining, budget);
            var scheduled = true;
            while (!TryGrow(sequence, count))
            {
                var victim = _running[^1];
                Preempt(victim);
                preemptions++;
                if (victim == sequence)
                {
                    scheduled = false;
                    break;
                }
            }

            if (!scheduled)
            {
                break;
            }

            batch.Add(new ScheduledSequence(sequence, count));
            budget -= count;
        }

        var (queries, hits) = preemptions == 0 ? Admit(batch, budget) : (0, 0);
        return new SchedulerOutput(batch, preemptions, queries, hits);
    }

    private (int Queries, int Hits) Admit(List<ScheduledSequence> batch, int budget)
    {
        int queries = 0, hits = 0;
        while (_waiting.First is { } node && budget > 0 && _running.Count < maxNumSeqs)
        {
            var sequence = node.Value;
            // At least one token is always computed (its logits are needed); hidden states must be computed for
            // every position not collected yet, so those cannot come from the cache.
            var lookupLimit = sequence.Tokens.Count - 1;
            if (sequence.WantsHiddenStates)
            {
                lookupLimit = Math.Min(lookupLimit, sequence.HiddenRowsCollected);
            }

            var cachedBlocks = blocks.FindCachedPrefix(sequence, lookupLimit);
            var cached = cachedBlocks.Count * blocks.BlockSize;
            var count = Math.Min(sequence.Tokens.Count - cached, budget);
            var needed = blocks.BlocksFor(cached + count) - cachedBlocks.Count;
            if (needed > blocks.FreeAfterAcquiring(cachedBlocks))
            {
                break;
            }

            _waiting.RemoveFirst();
            blocks.Acquire(cachedBlocks);
            sequence.BlockTable.AddRange(cachedBlocks);
            blocks.TryAllocate(sequence.BlockTable, needed);
            sequence.Computed = cached;
            sequence.CommittedBlocks = cachedBlocks.Count;
            if (!sequence.PrefillCounted)
            {
                sequence.CachedPromptTokens = Math.Min(cached, sequence.PromptLength);
            }

            if (blocks.PrefixCaching && sequence.PromptEmbeddings is null && lookupLimit >= blocks.BlockSize)
            {
                queries += sequence.Tokens.Count;
                hits += cached;
            }

            _running.Add(sequence);
            batch.Add(new ScheduledSequence(sequence, count));
            budget -= count;
        }

        return (queries, hits);
    }

    private bool TryGrow(Sequence sequence, int count)
    {
        var needed = blocks.BlocksFor(sequence.Computed + count) - sequence.BlockTable.Count;
        return needed <= 0 || blocks.TryAllocate(sequence.BlockTable, needed);
    }

    private void Preempt(Sequence sequence)
    {
        _running.Remove(sequence);
        blocks.Release(sequence.BlockTable);
        sequence.ResetComputation();
        _waiting.AddFirst(sequence);
    }

    private List<Sequence> RemoveWhere(Func<Sequence, bool> predicate)
    {
        var removed = new List<Sequence>();
        for (var node = _waiting.First; node is not null;)
        {
            var next = node.Next;
            if (predicate(node.Value))
            {
                _waiting.Remove(node);
                removed.Add(node.Value);
            }

            node = next;
        }

        foreach (var sequence in _running.Where(predicate).ToList())
        {
            Finish(sequence);
            removed.Add(sequence);
        }

        return removed;
    }
}
