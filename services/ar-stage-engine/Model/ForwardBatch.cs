using Omni.Common.Torch;
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

    /// <summary>
    /// The batch rows of each set of <c>selections</c> given to <see cref="Create"/>, int64, uploaded with the batch's own
    /// inputs; null for an empty set (no tensor: a GPU pays for each).
    /// </summary>
    public IReadOnlyList<Tensor?> Selections { get; private init; } = [];

    /// <param name="batchInvariant">Pad steps of fewer than four rows on CPU (see <see cref="PaddedRows"/>), tell the
    /// layers to use <see cref="BatchInvariantOps"/>, and attend in one group per key count. Without it every tile
    /// attends in one group over the longest tile's keys (its own beyond its length masked): one attention call per
    /// layer whatever the sequences' lengths, where a GPU pays per kernel launch.</param>
    /// <param name="selections">Rows, as (chunk, offset in the chunk), to turn into device indices in
    /// <see cref="Selections"/>: the rows whose logits or hidden states the step reads.</param>
    public static ForwardBatch Create(IReadOnlyList<ScheduledChunk> chunks, int blockSize, Device device, bool batchInvariant = true,
        IReadOnlyList<IReadOnlyList<ChunkRow>>? selections = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        var inputs = Stage(chunks, blockSize, device.type == DeviceType.CPU, batchInvariant, selections);
        return inputs.Bind(DeviceUploads.Upload(inputs.Values, device));
    }

    /// <summary>
    /// The host half of <see cref="Create"/>: the step's index arrays in one array (<see cref="HostInputs.Values"/>), to
    /// upload in one copy and view with <see cref="HostInputs.Bind"/>. Steps with the same row count, attention length
    /// and selection sizes that only decode stage arrays of the same layout, so that one device buffer can take any of
    /// them (a CUDA graph's static input).
    /// </summary>
    /// <param name="padForCpu">Whether batch invariance pads the rows for the CPU's kernels (see <see cref="PaddedRows"/>).</param>
    public static HostInputs Stage(IReadOnlyList<ScheduledChunk> chunks, int blockSize, bool padForCpu, bool batchInvariant = true,
        IReadOnlyList<IReadOnlyList<ChunkRow>>? selections = null)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count == 0)
        {
            throw new ArgumentException("A forward pass needs at least one chunk.", nameof(chunks));
        }

        var rows = chunks.Sum(c => c.Count);
        // Without batch invariance a step that only decodes gives each row a tile of its own: no padding queries.
        var tileRows = !batchInvariant && rows == chunks.Count ? 1 : AttentionTile;
        var paddedRows = batchInvariant && padForCpu ? Math.Max(rows, BatchInvariantOps.MinLinearRows) : rows;
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
            for (var tile = chunk.Start / tileRows; tile <= (chunk.Start + chunk.Count - 1) / tileRows; tile++)
            {
                var length = batchInvariant ? (tile + 1) * tileRows : 0;
                if (!tiles.TryGetValue(length, out var list))
                {
                    tiles[length] = list = [];
                }
                list.Add((chunk, rowStarts[index], tile));
            }
        }

        if (!batchInvariant)
        {
            // One group: every tile attends over the longest tile's keys (rounded up to the tile of 16 positions, so
            // that the shapes of a growing batch change once every 16 steps).
            var list = tiles[0];
            tiles.Remove(0);
            var longest = list.Max(entry => (entry.Tile + 1) * tileRows);
            tiles[(longest + AttentionTile - 1) / AttentionTile * AttentionTile] = list;
        }

        var staging = new List<StagedArray> { new(ids), new(positions), new(slots) };
        if (embeddingRows.Count > 0)
        {
            staging.Add(new([.. embeddingRows]));
        }
        // A tile's positions the step does not compute read a zero query row past the batch's rows (batch invariance:
        // every query computed alike), or row 0 (any row: their outputs are dropped).
        var groups = tiles.Select(pair => GroupArrays.Create(pair.Key, pair.Value, tileRows, batchInvariant ? paddedRows : 0, blockSize, batchInvariant)).ToList();
        foreach (var group in groups)
        {
            staging.AddRange(group.Arrays);
        }
        var rowSets = (selections ?? []).Select(set => set.Select(r => (long)(rowStarts[r.Chunk] + r.Offset)).ToArray()).ToList();
        staging.AddRange(rowSets.Where(set => set.Length > 0).Select(set => new StagedArray(set)));
        return new HostInputs(staging, groups, [.. rowSets.Select(set => set.Length)], rowStarts, (rows, paddedRows, batchInvariant),
            embeddingRows.Count, [.. embeddingValues]);
    }

    /// <summary>A step's inputs staged on the host (<see cref="Stage"/>).</summary>
    public sealed class HostInputs
    {
        private readonly List<StagedArray> _arrays;
        private readonly List<GroupArrays> _groups;
        private readonly int[] _selectionSizes;
        private readonly int[] _rowStarts;
        private readonly (int Rows, int PaddedRows, bool BatchInvariant) _shape;
        private readonly int _embeddingRows;
        private readonly float[] _embeddingValues;

        internal HostInputs(List<StagedArray> arrays, List<GroupArrays> groups, int[] selectionSizes, int[] rowStarts,
            (int Rows, int PaddedRows, bool BatchInvariant) shape, int embeddingRows, float[] embeddingValues)
        {
            (_arrays, _groups, _selectionSizes, _rowStarts, _shape) = (arrays, groups, selectionSizes, rowStarts, shape);
            (_embeddingRows, _embeddingValues) = (embeddingRows, embeddingValues);
            Values = new long[arrays.Sum(array => array.Values.Length)];
            var offset = 0;
            foreach (var array in arrays)
            {
                array.Values.CopyTo(Values, offset);
                offset += array.Values.Length;
            }
        }

        /// <summary>Every index array of the step, one after another: what one upload carries.</summary>
        public long[] Values { get; }

        /// <summary>
        /// The batch over <paramref name="uploaded"/>, <see cref="Values"/> (or values of the same layout) on the device:
        /// each array a view of it in the shape it was staged with, the masks computed from those views.
        /// </summary>
        public ForwardBatch Bind(Tensor uploaded)
        {
            ArgumentNullException.ThrowIfNull(uploaded);
            if (uploaded.numel() != Values.Length)
            {
                throw new ArgumentException($"The step's inputs take {Values.Length} values, the buffer holds {uploaded.numel()}.", nameof(uploaded));
            }

            var views = new Queue<Tensor>(Views(uploaded));
            var inputIds = views.Dequeue();
            var positions = views.Dequeue();
            var slotMapping = views.Dequeue();
            var embeddingRows = _embeddingRows == 0 ? null : views.Dequeue();
            return new ForwardBatch
            {
                InputIds = inputIds,
                EmbeddingRows = embeddingRows,
                EmbeddingValues = embeddingRows is null ? null
                    : DeviceUploads.Upload(_embeddingValues, [_embeddingRows, _embeddingValues.Length / _embeddingRows], uploaded.device),
                Positions = positions,
                SlotMapping = slotMapping,
                AttentionGroups = [.. _groups.Select(group => group.ToGroup(views))],
                Selections = [.. _selectionSizes.Select(size => size > 0 ? views.Dequeue() : null)],
                RowStarts = _rowStarts,
                Rows = _shape.Rows,
                PaddedRows = _shape.PaddedRows,
                BatchInvariant = _shape.BatchInvariant,
            };
        }

        private IEnumerable<Tensor> Views(Tensor buffer)
        {
            var offset = 0;
            foreach (var (values, shape) in _arrays)
            {
                yield return shape is null ? buffer.narrow(0, offset, values.Length) : buffer.as_strided(shape, ContiguousStrides(shape), offset);
                offset += values.Length;
            }
        }
    }

    // An array of the step's inputs and the shape its view takes (null: 1-D).
    internal readonly record struct StagedArray(long[] Values, long[]? Shape = null);

    private static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= shape[i];
        }
        return strides;
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

    // One attention group's index arrays, built on the host and uploaded with the rest of the batch.
    internal sealed record GroupArrays(int Length, int Tiles, int TileRows, bool SharedMask, StagedArray[] Arrays)
    {
        public static GroupArrays Create(int length, List<(ScheduledChunk Chunk, int RowStart, int Tile)> tiles, int tileRows, int paddingRow,
            int blockSize, bool sharedMask)
        {
            var blocksPerTile = (length + blockSize - 1) / blockSize;
            var blockIds = new long[tiles.Count * blocksPerTile];
            var rowPositions = new long[tiles.Count * tileRows];
            // Tiles of one row are the batch's rows in order: no query or output indices.
            var indexed = tileRows > 1 || sharedMask;
            var queryRows = indexed ? new long[tiles.Count * tileRows] : [];
            var outputSlots = new List<long>();
            var outputRows = new List<long>();
            for (var t = 0; t < tiles.Count; t++)
            {
                var (chunk, rowStart, tile) = tiles[t];
                for (var b = 0; b < blocksPerTile && b < chunk.BlockTable.Count; b++)
                {
                    blockIds[t * blocksPerTile + b] = chunk.BlockTable[b];
                }
                for (var i = 0; i < tileRows; i++)
                {
                    var position = tile * tileRows + i;
                    var slot = t * tileRows + i;
                    rowPositions[slot] = position;
                    if (!indexed)
                    {
                        continue;
                    }
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

            if (sharedMask)
            {
                return new GroupArrays(length, tiles.Count, tileRows, sharedMask, [new(queryRows), new(blockIds), new([.. outputSlots]), new([.. outputRows])]);
            }

            // The mask compares each tile row's position with the key positions, both uploaded already shaped for it.
            var keyPositions = new long[length];
            for (var k = 0; k < length; k++)
            {
                keyPositions[k] = k;
            }
            if (!indexed)
            {
                return new GroupArrays(length, tiles.Count, tileRows, sharedMask,
                    [new(blockIds), new(keyPositions, [1, 1, 1, length]), new(rowPositions, [tiles.Count, 1, 1, 1])]);
            }
            return new GroupArrays(length, tiles.Count, tileRows, sharedMask, [new(queryRows), new(blockIds), new([.. outputSlots]), new([.. outputRows]),
                new(keyPositions, [1, 1, length]), new(rowPositions, [tiles.Count, tileRows, 1])]);
        }

        /// <summary>The group, its arrays taken in order from <paramref name="uploaded"/>.</summary>
        public AttentionGroup ToGroup(Queue<Tensor> uploaded)
        {
            if (TileRows == 1 && !SharedMask)
            {
                var blocks = uploaded.Dequeue();
                return new AttentionGroup(Length, Tiles, TileRows, null, blocks, uploaded.Dequeue() <= uploaded.Dequeue(), null, null);
            }

            var (queryRows, blockIds, outputSlots, outputRows) = (uploaded.Dequeue(), uploaded.Dequeue(), uploaded.Dequeue(), uploaded.Dequeue());
            // Tile row i of a tile starting at position s sees keys 0 .. s + i.
            var mask = SharedMask ? ones(TileRows, Length, dtype: ScalarType.Bool, device: queryRows.device).tril(Length - TileRows)
                : uploaded.Dequeue() <= uploaded.Dequeue();
            return new AttentionGroup(Length, Tiles, TileRows, queryRows, blockIds, mask, outputSlots, outputRows);
        }
    }
}
