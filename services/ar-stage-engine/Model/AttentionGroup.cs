using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Query tiles of a <see cref="ForwardBatch"/> that attend over the same number of keys, in one call. A tile is
/// <see cref="ForwardBatch.AttentionTile"/> consecutive positions of one sequence, aligned to multiples of the tile,
/// and attends over keys 0 .. <see cref="Length"/> - 1 (its last position + 1, rounded up to the tile); rows of the
/// tile that this step does not compute are padding. Every position is therefore computed in a call of the same
/// shape, whether it is decoded or prefilled, alone or beside other sequences, in one chunk or several, whatever the
/// KV block size: the same bits. Without batch invariance every tile of the batch is in one group of the longest
/// tile's length (rounded up to the tile), each tile's mask hiding the keys past its own: one call per layer, whatever
/// the lengths; and a step that only decodes gives each row a tile of its own (<see cref="TileRows"/> 1), so that no
/// padding query is computed.
/// </summary>
/// <param name="Length">Keys each tile attends over (a multiple of the tile).</param>
/// <param name="Tiles">Tiles in the group.</param>
/// <param name="TileRows">Positions per tile: <see cref="ForwardBatch.AttentionTile"/>, or 1 (a step that only decodes, without batch invariance).</param>
/// <param name="QueryRows">[Tiles * TileRows] int64: the batch row of each tile position; for padding <see cref="ForwardBatch.PaddedRows"/>
/// (a zero query) with batch invariance, else row 0. Null for tiles of one row (the batch's rows in order), as are
/// <paramref name="OutputSlots"/> and <paramref name="OutputRows"/>.</param>
/// <param name="BlockIds">[Tiles * blocks] int64: each tile's KV blocks covering 0 .. Length - 1 (block 0 past the sequence's table).</param>
/// <param name="Mask">Bool, causal: [TileRows, Length] when every tile ends at <see cref="Length"/> (tile row i sees keys
/// 0 .. Length - TileRows + i); [Tiles, TileRows, Length] when the tiles end at different positions (a tile starting at
/// s: row i sees keys 0 .. s + i), as without batch invariance; [Tiles, 1, 1, Length] for tiles of one row (the same
/// for every head).</param>
/// <param name="OutputSlots">[real rows] int64: which tile positions the step computes.</param>
/// <param name="OutputRows">[real rows] int64: their batch rows.</param>
public sealed record AttentionGroup(int Length, int Tiles, int TileRows, Tensor? QueryRows, Tensor BlockIds, Tensor Mask, Tensor? OutputSlots, Tensor? OutputRows);
