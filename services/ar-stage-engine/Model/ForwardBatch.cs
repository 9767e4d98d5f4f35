using TorchSharp;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// The tensors of one batched forward pass over several sequences, flattened into rows (chunks in the order given),
/// and the attention groups that compute every row's attention (<see cref="AttentionGroup"/>). Its tensors belong to
/// the dispose scope it was created in.
/// </summary>
public sealed class ForwardBatch
{
    /// <summary>Positions per attention tile (see <see cref="AttentionGroup"/>).</summary>
    public const int AttentionTile = 16;

    private ForwardBatch()
    {
    }

    /// <summary>Token ids [PaddedRows], int64 (padding rows: token 0).</summary>
    public required Tensor InputIds { get; init; }

    /// <summary>Rows whose input is an embedding given with the prompt [k], int64; null when no row has one.</summary>
    public Tensor? EmbeddingRows { get; init; }

    /// <summary>Those rows' input embeddings [k, hidden], float32.</summary>
    public Tensor? EmbeddingValues { get; init; }

    /// <summary>Positions [PaddedRows], int64 (padding rows: position 0).</summary>
    public required Tensor Positions { get; init; }

    /// <summary>KV pool slot of every row [rows], int64.</summary>
    public required Tensor SlotMapping { get; init; }

    /// <summary>The rows' attention, by number of keys.</summary>
    public required IReadOnlyList<AttentionGroup> AttentionGroups { get; init; }

    /// <summary>For each chunk, in the order given to <see cref="Create"/>, the row of its first token.</summary>
    public required IReadOnlyList<int> RowStarts { get; init; }

    public int Rows { get; private init; }

    /// <summary>
    /// Rows the layers compute: on CPU at least <see cref="BatchInvariantOps.MinLinearRows"/>, so that one linear
    /// kernel serves every batch (the rows past <see cref="Rows"/> are padding, never written to the KV cache nor read).
    /// </summary>
    public int PaddedRows { get; private init; }

    /// <summary>Whether the layers compute every row the same way whatever the batch (<see cref="BatchInvariantOps"/>).</summary>
    public bool BatchInvariant { get; private init; }

    /// <param name="batchInvariant">Pad steps of fewer than four rows on CPU (see <see cref="PaddedRows"/>), and tell the
    /// layers to use <see cref="BatchInvariantOps"/>.</param>
    public static ForwardBatch Create(IReadOnlyList<ScheduledChunk> chunks, int blockSize, Device device, bool batchInvariant = true)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count == 0)
        {
            throw new ArgumentException("A forward pass needs at least one chunk.", nameof(chunks));
        }

        var rows = chunks.Sum(c => c.Count);
        var paddedRows = batchInvariant && device.type == DeviceType.CPU ? Math.Max(rows, BatchInvariantOps.MinLinearRows) : rows;
        var ids = new long[paddedRows];
        var positions = new long[paddedRows];
        var slots = new long[rows];
        var rowStarts = new int[chunks.Count];
        var embeddingRows = new List<long>();
        var embeddingValues = new List<float>();
        var tiles = new SortedDictionary<int, List<(ScheduledChunk Chunk, int RowStart, int Tile)>>();
        var row = 0;
        for (var index = 0; index < chunks.Count; index++)
        {
            var chunk = chunks[index];
            Check(chunk, blockSize);
            rowStarts[index] = row;
            for (var p = chunk.Start; p < chunk.Start + chunk.Count; p++, row++)
            {
                ids[row] = chunk.Tokens[p];
                positions[row] = p;
                if (p < chunk.EmbeddingRows)
                {
                    var width = chunk.Embeddings!.Length / chunk.EmbeddingRows;
                    embeddingRows.Add(row);
                    embeddingValues.AddRange(chunk.Embeddings.AsSpan(p * width, width));
                }
                slots[row] = (long)chunk.BlockTable[p / blockSize] * blockSize + p % blockSize;
            }
            for (var tile = chunk.Start / AttentionTile; tile <= (chunk.Start + chunk.Count - 1) / AttentionTile; tile++)
            {
                var length = (tile + 1) * AttentionTile;
                if (!tiles.TryGetValue(length, out var list))
                {
                    tiles[length] = list = [];
                }
                list.Add((chunk, rowStarts[index], tile));
            }
        }

        return new ForwardBatch
        {
            InputIds = tensor(ids, device: device),
            EmbeddingRows = embeddingRows.Count == 0 ? null : tensor(embeddingRows.ToArray(), device: device),
            EmbeddingValues = embeddingRows.Count == 0 ? null
                : tensor(embeddingValues.ToArray(), [embeddingRows.Count, embeddingValues.Count / embeddingRows.Count], device: device),
            Positions = tensor(positions, device: device),
            SlotMapping = tensor(slots, device: device),
            AttentionGroups = [.. tiles.Select(pair => Group(pair.Key, pair.Value, paddedRows, blockSize, device))],
            RowStarts = rowStarts,
            Rows = rows,
            PaddedRows = paddedRows,
            BatchInvariant = batchInvariant,
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

    private static AttentionGroup Group(int length, List<(ScheduledChunk Chunk, int RowStart, int Tile)> tiles, int paddingRow, int blockSize, Device device)
    {
        var blocksPerTile = (length + blockSize - 1) / blockSize;
        var queryRows = new long[tiles.Count * AttentionTile];
        var blockIds = new long[tiles.Count * blocksPerTile];
        var outputSlots = new List<long>();
        var outputRows = new List<long>();
        for (var t = 0; t < tiles.Count; t++)
        {
            var (chunk, rowStart, tile) = tiles[t];
            for (var b = 0; b < blocksPerTile && b < chunk.BlockTable.Count; b++)
            {
                blockIds[t * blocksPerTile + b] = chunk.BlockTable[b];
            }
            for (var i = 0; i < AttentionTile; i++)
            {
                var position = tile * AttentionTile + i;
                var slot = t * AttentionTile + i;
                if (position >= chunk.Start && position < chunk.Start + chunk.Count)
                {
                    queryRows[slot] = rowStart + position - chunk.Start;
                    outputSlots.Add(slot);
                    outputRows.Add(queryRows[slot]);
                }
                else
                {
                    queryRows[slot] = paddingRow;
                }
            }
        }

        var mask = ones(AttentionTile, length, dtype: ScalarType.Bool, device: device).tril(length - AttentionTile);
        return new AttentionGroup(length, tiles.Count, tensor(queryRows, device: device), tensor(blockIds, device: device), mask,
            tensor(outputSlots.ToArray(), device: device), tensor(outputRows.ToArray(), device: device));
    }
}
