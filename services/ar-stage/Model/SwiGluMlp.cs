using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>The gated feed-forward block: down_proj(silu(gate_proj(x)) * up_proj(x)).</summary>
public sealed class SwiGluMlp : nn.Module<Tensor, Tensor>
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

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var gated = BatchInvariantOps.Pointwise(BatchInvariantOps.Linear(gate_proj, input), t => nn.functional.silu(t)) * BatchInvariantOps.Linear(up_proj, input);
        return BatchInvariantOps.Linear(down_proj, gated).MoveToOuterDisposeScope();
    }
}
