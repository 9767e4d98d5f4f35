using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>The gated feed-forward block with its residual: residual + down_proj(silu(gate_proj(x)) * up_proj(x)).</summary>
public sealed class SwiGluMlp : nn.Module<Tensor, Tensor, bool, Tensor>
{
    // Field names are the checkpoint key suffixes ("mlp.gate_proj.weight", ...).
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;

    private readonly int _intermediateSize;

    // gate_proj and up_proj as one product, and down_proj with the residual, once fused.
    private FusedLinear? _gateUp;
    private ResidualLinear? _down;

    public SwiGluMlp(TransformerConfig config) : base(nameof(SwiGluMlp))
    {
        gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: config.MlpBias);
        _intermediateSize = config.IntermediateSize;
        RegisterComponents();
    }

    /// <summary>
    /// Backs gate_proj and up_proj by one weight (and bias): one product for both, and down_proj's product added to the
    /// residual in the same call, without batch invariance (see <see cref="SelfAttention.FuseProjections"/>).
    /// </summary>
    public void FuseProjections()
    {
        _gateUp = new FusedLinear(gate_proj, up_proj);
        _down = new ResidualLinear(down_proj);
    }

    /// <param name="input">Normalized hidden states [rows, hidden].</param>
    /// <param name="residual">What the block's output is added to [rows, hidden].</param>
    /// <param name="batchInvariant">Use <see cref="BatchInvariantOps"/> (see <see cref="ForwardBatch.BatchInvariant"/>).</param>
    public override Tensor forward(Tensor input, Tensor residual, bool batchInvariant)
    {
        using var scope = NewDisposeScope();
        Tensor gated;
        if (_gateUp is { } fused && !batchInvariant && fused.Serves(input))
        {
            // silu(gate) * up in place in the gate's half of the product: the same kernels, two tensors fewer.
            var gateUp = fused.Forward(input);
            gated = gateUp.narrow(-1, 0, _intermediateSize).silu_().mul_(gateUp.narrow(-1, _intermediateSize, _intermediateSize));
            return (_down is { } down ? down.Forward(residual, gated) : residual + down_proj.call(gated)).MoveToOuterDisposeScope();
        }

        gated = BatchInvariantOps.Pointwise(BatchInvariantOps.Linear(gate_proj, input, batchInvariant), t => nn.functional.silu(t), batchInvariant)
            * BatchInvariantOps.Linear(up_proj, input, batchInvariant);
        return (residual + BatchInvariantOps.Linear(down_proj, gated, batchInvariant)).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gateUp?.Dispose();
            _down?.Dispose();
        }
        base.Dispose(disposing);
    }
}
