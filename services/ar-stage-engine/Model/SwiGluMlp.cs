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

    // gate_proj and up_proj's weights as one tensor once fused, theirs being views of it.
    private Tensor? _gateUpWeight;
    private Tensor? _gateUpBias;

    public SwiGluMlp(TransformerConfig config) : base(nameof(SwiGluMlp))
    {
        gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: config.MlpBias);
        RegisterComponents();
    }

    /// <summary>Backs gate_proj and up_proj by one weight (and bias): one product for both, without batch invariance (see <see cref="SelfAttention.FuseProjections"/>).</summary>
    public void FuseProjections()
    {
        using var noGrad = no_grad();
        var rows = gate_proj.weight!.shape[0];
        _gateUpWeight = cat([gate_proj.weight, up_proj.weight!], 0).DetachFromDisposeScope();
        gate_proj.weight = new Parameter(_gateUpWeight.narrow(0, 0, rows), requires_grad: false);
        up_proj.weight = new Parameter(_gateUpWeight.narrow(0, rows, rows), requires_grad: false);
        if (gate_proj.bias is not null)
        {
            _gateUpBias = cat([gate_proj.bias, up_proj.bias!], 0).DetachFromDisposeScope();
            gate_proj.bias = new Parameter(_gateUpBias.narrow(0, 0, rows), requires_grad: false);
            up_proj.bias = new Parameter(_gateUpBias.narrow(0, rows, rows), requires_grad: false);
        }
    }

    /// <param name="batchInvariant">Use <see cref="BatchInvariantOps"/> (see <see cref="ForwardBatch.BatchInvariant"/>).</param>
    public override Tensor forward(Tensor input, bool batchInvariant)
    {
        using var scope = NewDisposeScope();
        Tensor gated;
        if (_gateUpWeight is { } weight && !batchInvariant && weight.device_type == input.device_type && weight.device_index == input.device_index && weight.dtype == input.dtype)
        {
            var gateUp = nn.functional.linear(input, weight, _gateUpBias);
            var rows = weight.shape[0] / 2;
            gated = nn.functional.silu(gateUp.narrow(-1, 0, rows)) * gateUp.narrow(-1, rows, rows);
        }
        else
        {
            gated = BatchInvariantOps.Pointwise(gate_proj.call(input), t => nn.functional.silu(t), batchInvariant) * up_proj.call(input);
        }
        return down_proj.call(gated).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gateUpWeight?.Dispose();
            _gateUpBias?.Dispose();
        }
        base.Dispose(disposing);
    }
}
