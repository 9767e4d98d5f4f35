using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// The tensors of one batched forward pass over several sequences, flattened into rows: single-token chunks
/// (decodes) first, ordered by how many KV blocks their context spans so that each such group attends as one batch,
/// then the multi-token chunks (prefills), each attending on its own. Its tensors belong to the dispose scope it was created in.
/// </summary>
public sealed class ForwardBatch
{
    private ForwardBatch()
    {
    }

    /// <summary>Token ids [rows], int64.</summary>
    public required Tensor InputIds { get; init; }

    /// <summary>Positions [rows], int64.</summary>
    public required Tensor Positions { get; init; }

    /// <summary>KV pool slot of every row [rows], int64.</summary>
    public required Tensor SlotMapping { get; init; }

    /// <summary>Number of single-token chunks; they are rows 0 .. DecodeCount - 1.</summary>
    public int DecodeCount { get; private init; }

    /// <summary>The decode rows by the number of KV blocks of their context, in row order.</summary>
    public IReadOnlyList<DecodeGroup> DecodeGroups { get; private init; } = [];

    public IReadOnlyList<PrefillSegment> Prefills { get; private init; } = [];

    /// <summary>For each chunk, in the order given to <see cref="Create"/>, the row of its first token.</summary>
    public required IReadOnlyList<int> RowStarts { get; init; }

    public int Rows { get; private init; }

    /// <param name="kvGroups">Query heads per KV head (the prefill masks are laid out per group).</param>
    public static ForwardBatch Create(IReadOnlyList<ScheduledChunk> chunks, int blockSize, int kvGroups, Device device)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count == 0)
        {
            throw new ArgumentException("A forward pass needs at least one chunk.", nameof(chunks));
        }

        var order = Enumerable.Range(0, chunks.Count).Where(i => chunks[i].Count == 1).OrderBy(i => UsedBlocks(chunks[i], blockSize))
            .Concat(Enumerable.Range(0, chunks.Count).Where(i => chunks[i].Count != 1))
            .ToArray();
        var rows = chunks.Sum(c => c.Count);
        var ids = new long[rows];
        var positions = new long[rows];
        var slots = new long[rows];
        var rowStarts = new int[chunks.Count];
        var row = 0;
        foreach (var index in order)
        {
            var chunk = chunks[index];
            Check(chunk, blockSize);
            rowStarts[index] = row;
            for (var p = chunk.Start; p < chunk.Start + chunk.Count; p++, row++)
            {
                ids[row] = chunk.Tokens[p];
                positions[row] = p;
                slots[row] = (long)chunk.BlockTable[p / blockSize] * blockSize + p % blockSize;
            }
        }

        var decodes = order.TakeWhile(i => chunks[i].Count == 1).Select(i => chunks[i]).ToArray();
        var decodeGroups = new List<DecodeGroup>();
        for (var start = 0; start < decodes.Length;)
        {
            var used = UsedBlocks(decodes[start], blockSize);
            var count = decodes.Skip(start).TakeWhile(d => UsedBlocks(d, blockSize) == used).Count();
            decodeGroups.Add(DecodeTables(start, decodes.AsSpan(start, count), used, blockSize, device));
            start += count;
        }
        var prefills = order.Skip(decodes.Length)
            .Select(i => Prefill(chunks[i], rowStarts[i], blockSize, kvGroups, device))
            .ToArray();
        return new ForwardBatch
        {
            InputIds = tensor(ids, device: device),
            Positions = tensor(positions, device: device),
            SlotMapping = tensor(slots, device: device),
            DecodeCount = decodes.Length,
            DecodeGroups = decodeGroups,
            Prefills = prefills,
            RowStarts = rowStarts,
            Rows = rows,
        };
    }

    private static void Check(ScheduledChunk chunk, int blockSize)
    {
        if (chunk.Count < 1 || chunk.Start < 0 || chunk.Start + chunk.Count > chunk.Tokens.Count)
        {
            throw new ArgumentException($"Chunk [{chunk.Start}, +{chunk.Count}) is outside its {chunk.Tokens.Count} tokens.");
        }

        var needed = (chunk.Start + chunk.Count + blockSize - 1) / blockSize;
        if (chunk.BlockTable.Count < needed)
        {
            throw new ArgumentException($"Chunk up to position {chunk.Start + chunk.Count} needs {needed} blocks, its table has {chunk.BlockTable.Count}.");
        }
    }

    private static int UsedBlocks(ScheduledChunk decode, int blockSize) => decode.Start / blockSize + 1;

    private static DecodeGroup DecodeTables(int rowStart, ReadOnlySpan<ScheduledChunk> decodes, int used, int blockSize, Device device)
    {
        var length = used * blockSize;
        var blocks = new long[decodes.Length * used];
        var mask = new bool[decodes.Length * length];
        for (var i = 0; i < decodes.Length; i++)
        {
            for (var b = 0; b < used; b++)
            {
                blocks[i * used + b] = decodes[i].BlockTable[b];
            }
            Array.Fill(mask, true, i * length, decodes[i].Start + 1);
        }

        return new DecodeGroup(rowStart, decodes.Length, tensor(blocks, device: device), tensor(mask, [decodes.Length, 1, 1, length]).to(device));
    }

    private static PrefillSegment Prefill(ScheduledChunk chunk, int rowStart, int blockSize, int kvGroups, Device device)
    {
        var context = chunk.Start + chunk.Count;
        Tensor? blockIds = null;
        if (chunk.Start > 0)
        {
            var used = (context + blockSize - 1) / blockSize;
            blockIds = tensor(chunk.BlockTable.Take(used).Select(b => (long)b).ToArray(), device: device);
        }

        using var scope = NewDisposeScope();
        // Query t (position Start + t) sees keys 0 .. Start + t; rows are repeated once per head of a KV group.
        var mask = ones(chunk.Count, context, dtype: ScalarType.Bool, device: device).tril(chunk.Start).repeat(kvGroups, 1);
        return new PrefillSegment(rowStart, chunk.Count, chunk.Start, blockIds, mask.MoveToOuterDisposeScope());
    }
}
