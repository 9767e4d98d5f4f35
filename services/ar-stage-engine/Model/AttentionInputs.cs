using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// What every attention layer of one forward pass shares, computed once per step: the rows' rotary angles, the batch
/// layout, each attention group's mask with the query heads of a KV group folded in, and the KV pool.
/// </summary>
/// <param name="FoldedMasks">For each of <see cref="ForwardBatch.AttentionGroups"/>, its mask repeated for the query
/// heads folded into the query axis: [groups * tile, Length], or [Tiles, 1, groups * tile, Length], or [Tiles, 1, 1, Length]
/// for tiles of one position (broadcast over the heads).</param>
public sealed record AttentionInputs(RotaryAngles Angles, ForwardBatch Batch, IReadOnlyList<Tensor> FoldedMasks, KvBlockPool Pool)
{
    /// <summary>The inputs of <paramref name="batch"/> for a model whose KV heads each serve <paramref name="queryHeadsPerKvHead"/> query heads.</summary>
    public static AttentionInputs Create(RotaryAngles angles, ForwardBatch batch, int queryHeadsPerKvHead, KvBlockPool pool)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var masks = batch.AttentionGroups
            .Select(group => group.Mask.dim() == 2 ? group.Mask.repeat(queryHeadsPerKvHead, 1)
                : group.TileRows == 1 ? group.Mask // one query position per tile: the same mask for every head (broadcast)
                : group.Mask.repeat(1, queryHeadsPerKvHead, 1).unsqueeze(1))
            .ToList();
        return new AttentionInputs(angles, batch, masks, pool);
    }
}
