using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Causal self-attention with grouped-query heads and rotary embeddings over a flattened batch of sequences whose
/// keys and values live in the paged <see cref="KvBlockPool"/>, computed in fixed-shape tiles (<see cref="AttentionGroup"/>). Query head h uses KV head h / groups (transformers'
/// repeat_kv); folding each group's heads into the query axis lets the shared keys/values be used as they are.
/// </summary>
public sealed class SelfAttention : nn.Module<Tensor, Tensor, AttentionInputs, Tensor>
{
    // Field names are the checkpoint key suffixes ("self_attn.q_proj.weight", ...).
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear o_proj;

    private readonly int _layerIndex;
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;

    // q_proj, k_proj and v_proj as one product, and o_proj with the residual, once fused.
    private FusedLinear? _qkv;
    private ResidualLinear? _output;

    public SelfAttention(TransformerConfig config, int layerIndex) : base(nameof(SelfAttention))
    {
        _layerIndex = layerIndex;
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        q_proj = nn.Linear(config.HiddenSize, _heads * _headDim, hasBias: config.QkvBias);
        k_proj = nn.Linear(config.HiddenSize, _kvHeads * _headDim, hasBias: config.QkvBias);
        v_proj = nn.Linear(config.HiddenSize, _kvHeads * _headDim, hasBias: config.QkvBias);
        o_proj = nn.Linear(_heads * _headDim, config.HiddenSize, hasBias: config.OutputProjectionBias);
        RegisterComponents();
    }

    /// <summary>
    /// Backs the q, k and v projections by one weight (and bias), so that a step computes them in one product and
    /// rotates q and k in one call, and adds o_proj's product to the residual in the same call (fewer launches on a
    /// GPU). The checkpoint-named parameters stay, as views of it. Used without batch invariance only: the bits of a
    /// product depend on its shape.
    /// </summary>
    public void FuseProjections()
    {
        _qkv = new FusedLinear(q_proj, k_proj, v_proj);
        _output = new ResidualLinear(o_proj);
    }

    /// <summary>
    /// Normalized hidden states [rows, hidden] in, <paramref name="residual"/> + attention output [rows, hidden] out;
    /// stores the rows' keys/values in the pool.
    /// </summary>
    public override Tensor forward(Tensor hidden, Tensor residual, AttentionInputs inputs)
    {
        using var scope = NewDisposeScope();
        var batch = inputs.Batch;
        var oneGroup = !batch.BatchInvariant && batch.AttentionGroups.Count == 1;
        var oneRowTiles = oneGroup && batch.AttentionGroups[0].TileRows == 1;
        var q = ProjectAndStore(hidden, inputs, groupedQueries: oneRowTiles);

        if (oneGroup)
        {
            // One group, whose real positions are the batch's rows in order; its padding positions point at row 0.
            var group = batch.AttentionGroups[0];
            var rowsAttended = oneRowTiles
                ? AttendOneRowTiles(q, group, inputs.FoldedMasks[0], inputs.Pool)
                : Attend(q, group, inputs.FoldedMasks[0], inputs.Pool).index_select(0, group.OutputSlots!);
            return (_output is { } output ? output.Forward(residual, rowsAttended) : residual + o_proj.call(rowsAttended)).MoveToOuterDisposeScope();
        }

        // Row `rows` of the padded queries is the zero row that fills the tiles' positions this step does not compute.
        var rows = batch.PaddedRows;
        var queries = cat([q, zeros(1, _heads, _headDim, q.dtype, q.device)], 0);
        var attended = zeros(rows, _heads * _headDim, q.dtype, q.device);
        for (var g = 0; g < batch.AttentionGroups.Count; g++)
        {
            var group = batch.AttentionGroups[g];
            attended.index_copy_(0, group.OutputRows!, Attend(queries, group, inputs.FoldedMasks[g], inputs.Pool).index_select(0, group.OutputSlots!));
        }
        return (residual + BatchInvariantOps.Linear(o_proj, attended, batch.BatchInvariant)).MoveToOuterDisposeScope();
    }

    // Rotated queries [rows, heads, headDim], or [rows, kvHeads, groups, headDim] (the same memory) when grouped; the
    // rows' rotated keys and their values go into the pool (padding rows do not).
    private Tensor ProjectAndStore(Tensor hidden, AttentionInputs inputs, bool groupedQueries)
    {
        var batch = inputs.Batch;
        var rows = batch.PaddedRows;
        if (_qkv is { } fused && !batch.BatchInvariant && fused.Serves(hidden))
        {
            // The product [rows, (heads + 2 kvHeads) * headDim] is new and contiguous: q's heads, then k's, then v's, each
            // part a strided view of it. q and k rotate in place, in the product itself, after which each row's keys and
            // values are adjacent: one write to the pool.
            var product = fused.Forward(hidden);
            if (!product.is_contiguous())
            {
                // The views below assume the row-major layout every linear kernel gives; a copy if one ever does not.
                product = product.contiguous();
            }
            var (offset, width, groups) = (product.storage_offset(), (_heads + 2 * _kvHeads) * _headDim, _heads / _kvHeads);
            RotaryEmbedding.ApplyInPlace(product.as_strided([rows, _heads + _kvHeads, _headDim], [width, _headDim, 1], offset), inputs.Angles);
            var keysAndValues = product.as_strided([batch.Rows, 2 * _kvHeads, _headDim], [width, _headDim, 1], offset + _heads * _headDim);
            inputs.Pool.Write(_layerIndex, batch.SlotMapping, keysAndValues);
            return groupedQueries
                ? product.as_strided([rows, _kvHeads, groups, _headDim], [width, groups * _headDim, _headDim, 1], offset)
                : product.as_strided([rows, _heads, _headDim], [width, _headDim, 1], offset);
        }

        var invariant = batch.BatchInvariant;
        var q = RotaryEmbedding.Apply(BatchInvariantOps.Linear(q_proj, hidden, invariant).view(rows, _heads, _headDim), inputs.Angles);
        var k = RotaryEmbedding.Apply(BatchInvariantOps.Linear(k_proj, hidden, invariant).view(rows, _kvHeads, _headDim), inputs.Angles);
        var v = BatchInvariantOps.Linear(v_proj, hidden, invariant).view(rows, _kvHeads, _headDim);
        var (keys, values) = rows == batch.Rows ? (k, v) : (k.narrow(0, 0, batch.Rows), v.narrow(0, 0, batch.Rows));
        inputs.Pool.Write(_layerIndex, batch.SlotMapping, keys, values);
        return groupedQueries ? q.reshape(rows, _kvHeads, _heads / _kvHeads, _headDim) : q;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _qkv?.Dispose();
            _output?.Dispose();
        }
        base.Dispose(disposing);
    }

    // The group's tiles in one call: [tiles, kvHeads, groups * tile, headDim] queries (query heads of a KV group
    // folded into the query axis, group-major) against [tiles, kvHeads, length, headDim] keys read from the pages.
    private Tensor Attend(Tensor queries, AttentionGroup group, Tensor foldedMask, KvBlockPool pool)
    {
        var tile = group.TileRows;
        var groups = _heads / _kvHeads;
        var (keysPerTile, valuesPerTile) = KeysAndValues(group, pool);
        var folded = queries.index_select(0, group.QueryRows!).view(group.Tiles, tile, _kvHeads, groups, _headDim)
            .permute(0, 2, 3, 1, 4).reshape(group.Tiles, _kvHeads, groups * tile, _headDim);
        return nn.functional.scaled_dot_product_attention(folded, keysPerTile, valuesPerTile, foldedMask)
            .reshape(group.Tiles, _kvHeads, groups, tile, _headDim).permute(0, 3, 1, 2, 4).reshape(group.Tiles * tile, _heads * _headDim);
    }

    // Tiles of one position each, the batch's rows in order (a step that only decodes): the query heads of a KV group are
    // already adjacent ([rows, kvHeads, groups, headDim] is the rows' [rows, heads, headDim]), so neither the queries nor
    // the output move. The mask [rows, 1, 1, Length] serves every head.
    private Tensor AttendOneRowTiles(Tensor groupedQueries, AttentionGroup group, Tensor foldedMask, KvBlockPool pool)
    {
        var (keysPerTile, valuesPerTile) = KeysAndValues(group, pool);
        return nn.functional.scaled_dot_product_attention(groupedQueries, keysPerTile, valuesPerTile, foldedMask).reshape(group.Tiles, _heads * _headDim);
    }

    // Each tile's keys and values [Tiles, kvHeads, Length, headDim], read from the pages.
    private (Tensor Keys, Tensor Values) KeysAndValues(AttentionGroup group, KvBlockPool pool) =>
        pool.Gather(_layerIndex, group.BlockIds, group.Tiles, group.Length);
}
