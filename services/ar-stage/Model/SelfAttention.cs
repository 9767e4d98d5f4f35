using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>Causal self-attention with grouped-query heads, rotary embeddings and an optional KV cache.</summary>
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

    public override Tensor forward(Tensor hidden, AttentionInputs inputs)
    {
        using var scope = NewDisposeScope();
        var batch = hidden.shape[0];
        var tokens = hidden.shape[1];
        var past = inputs.Cache?.Length ?? 0;

        var q = q_proj.call(hidden).view(batch, tokens, _heads, _headDim).transpose(1, 2);
        var k = k_proj.call(hidden).view(batch, tokens, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.call(hidden).view(batch, tokens, _kvHeads, _headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, inputs.Cos, inputs.Sin);
        k = RotaryEmbedding.Apply(k, inputs.Cos, inputs.Sin);
        if (inputs.Cache is { } cache)
        {
            (k, v) = cache.Append(_layerIndex, k, v);
        }

        Tensor attended;
        if (tokens == 1)
        {
            // One new token attends to every cached position, so no mask is needed. Query head h uses KV head
            // h / groups (transformers' repeat_kv), so folding the groups into the query axis lets the shared
            // keys/values be used as they are instead of being copied once per group.
            var groups = _heads / _kvHeads;
            var grouped = q.reshape(batch, _kvHeads, groups, _headDim);
            attended = nn.functional.scaled_dot_product_attention(grouped, k, v)
                .reshape(batch, _heads, 1, _headDim);
        }
        else
        {
            k = RepeatKeyValueHeads(k);
            v = RepeatKeyValueHeads(v);
            if (past == 0)
            {
                attended = nn.functional.scaled_dot_product_attention(q, k, v, null, 0.0, true);
            }
            else
            {
                // Tokens after a cached prefix: query i sits at position past + i and may see keys 0 .. past + i.
                // (is_causal would align the triangle to the top-left corner, which is wrong here.)
                var mask = ones(tokens, past + tokens, dtype: ScalarType.Bool, device: q.device).tril(past);
                attended = nn.functional.scaled_dot_product_attention(q, k, v, mask);
            }
        }

        var merged = attended.transpose(1, 2).reshape(batch, tokens, _heads * _headDim);
        return o_proj.call(merged).MoveToOuterDisposeScope();
    }

    private Tensor RepeatKeyValueHeads(Tensor x)
    {
        var groups = _heads / _kvHeads;
        if (groups == 1)
        {
            return x;
        }

        var (batch, sequence) = (x.shape[0], x.shape[2]);
        return x.unsqueeze(2).expand(batch, _kvHeads, groups, sequence, _headDim).reshape(batch, _heads, sequence, _headDim);
    }
}
