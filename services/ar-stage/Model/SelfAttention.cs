using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Causal self-attention with grouped-query heads and rotary embeddings over a flattened batch of sequences whose
/// keys and values live in the paged <see cref="KvBlockPool"/>. Query head h uses KV head h / groups (transformers'
/// repeat_kv); folding each group's heads into the query axis lets the shared keys/values be used as they are.
/// </summary>
public sealed class SelfAttention : nn.Module<Tensor, AttentionInputs, Tensor>
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

    /// <summary>Hidden states [rows, hidden] in, attention output [rows, hidden] out; stores the rows' keys/values in the pool.</summary>
    public override Tensor forward(Tensor hidden, AttentionInputs inputs)
    {
        using var scope = NewDisposeScope();
        var rows = hidden.shape[0];
        var batch = inputs.Batch;
        var q = RotaryEmbedding.Apply(RowInvariantLinear.Apply(q_proj, hidden).view(rows, _heads, _headDim), inputs.Cos, inputs.Sin);
        var k = RotaryEmbedding.Apply(RowInvariantLinear.Apply(k_proj, hidden).view(rows, _kvHeads, _headDim), inputs.Cos, inputs.Sin);
        var v = RowInvariantLinear.Apply(v_proj, hidden).view(rows, _kvHeads, _headDim);
        inputs.Pool.Write(_layerIndex, batch.SlotMapping, k, v);

        var parts = new List<Tensor>(batch.DecodeGroups.Count + batch.Prefills.Count);
        foreach (var group in batch.DecodeGroups)
        {
            parts.Add(Decode(q.narrow(0, group.RowStart, group.Count), group, inputs.Pool));
        }

        foreach (var segment in batch.Prefills)
        {
            parts.Add(Prefill(q, k, v, segment, inputs.Pool));
        }

        var merged = parts.Count == 1 ? parts[0] : cat(parts, 0);
        return RowInvariantLinear.Apply(o_proj, merged).MoveToOuterDisposeScope();
    }

    // One new token per sequence, for sequences whose contexts span the same number of blocks: one call.
    private Tensor Decode(Tensor q, DecodeGroup group, KvBlockPool pool)
    {
        var count = q.shape[0];
        var groups = _heads / _kvHeads;
        var (keys, values) = pool.Gather(_layerIndex, group.BlockIds);
        var keysPerRow = keys.view(count, -1, _kvHeads, _headDim).transpose(1, 2);
        var valuesPerRow = values.view(count, -1, _kvHeads, _headDim).transpose(1, 2);
        var grouped = q.view(count, _kvHeads, groups, _headDim);
        return nn.functional.scaled_dot_product_attention(grouped, keysPerRow, valuesPerRow, group.Mask)
            .reshape(count, _heads * _headDim);
    }

    // A chunk of several tokens of one sequence: its own keys, after the cached ones when it continues a sequence.
    private Tensor Prefill(Tensor q, Tensor k, Tensor v, PrefillSegment segment, KvBlockPool pool)
    {
        var count = segment.Count;
        var groups = _heads / _kvHeads;
        Tensor keys, values;
        if (segment.BlockIds is null)
        {
            keys = k.narrow(0, segment.RowStart, count);
            values = v.narrow(0, segment.RowStart, count);
        }
        else
        {
            (keys, values) = pool.Gather(_layerIndex, segment.BlockIds);
            keys = keys.narrow(0, 0, segment.Past + count);
            values = values.narrow(0, 0, segment.Past + count);
        }

        // [count, heads, d] -> [1, kvHeads, groups * count, d]: rows of one KV head, group-major.
        var queries = q.narrow(0, segment.RowStart, count).transpose(0, 1).reshape(1, _kvHeads, groups * count, _headDim);
        var attended = nn.functional.scaled_dot_product_attention(
            queries, keys.transpose(0, 1).unsqueeze(0), values.transpose(0, 1).unsqueeze(0), segment.Mask);
        return attended.reshape(_heads, count, _headDim).transpose(0, 1).reshape(count, _heads * _headDim);
    }
}
