using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>One pre-norm transformer block over batch rows [rows, hidden]: x + attn(norm(x)), then x + mlp(norm(x)).</summary>
public sealed class DecoderLayer : nn.Module<Tensor, AttentionInputs, Tensor>
{
    // Field names are the checkpoint key suffixes ("model.layers.{i}.self_attn...", ...).
    private readonly SelfAttention self_attn;
    private readonly SwiGluMlp mlp;
    private readonly RmsNorm input_layernorm;
    private readonly RmsNorm post_attention_layernorm;

    public DecoderLayer(TransformerConfig config, int layerIndex) : base(nameof(DecoderLayer))
    {
        self_attn = new SelfAttention(config, layerIndex);
        mlp = new SwiGluMlp(config);
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    /// <summary>See <see cref="SelfAttention.FuseProjections"/>.</summary>
    public void FuseProjections()
    {
        self_attn.FuseProjections();
        mlp.FuseProjections();
    }

    public override Tensor forward(Tensor hidden, AttentionInputs inputs)
    {
        using var scope = NewDisposeScope();
        var batchInvariant = inputs.Batch.BatchInvariant;
        var afterAttention = self_attn.call(input_layernorm.call(hidden, batchInvariant), hidden, inputs);
        return mlp.call(post_attention_layernorm.call(afterAttention, batchInvariant), afterAttention, batchInvariant).MoveToOuterDisposeScope();
    }
}
