using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>The gated feed-forward block: down_proj(silu(gate_proj(x)) * up_proj(x)).</summary>
public sealed class SwiGluMlp : nn.Module<Tensor, bool, Tensor>
{
    // Field names are the checkpoint key suffixes ("mlp.gate_proj.weight", ...).
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;

    public SwiGluMlp(TransformerConfig config) : base(nameof(SwiGluMlp))
    {
        gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: config.MlpBias);
        RegisterComponents();
    }

    /// <param name="batchInvariant">Use <see cref="BatchInvariantOps"/> (see <see cref="ForwardBatch.BatchInvariant"/>).</param>
    public override Tensor forward(Tensor input, bool batchInvariant)
    {
        using var scope = NewDisposeScope();
        var gated = BatchInvariantOps.Pointwise(gate_proj.call(input), t => nn.functional.silu(t), batchInvariant) * up_proj.call(input);
        return down_proj.call(gated).MoveToOuterDisposeScope();
    }
}
