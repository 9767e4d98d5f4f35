using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>Root-mean-square layer norm as in transformers' LlamaRMSNorm / Qwen2RMSNorm.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    // Field name is the checkpoint key suffix ("...norm.weight").
    private readonly Parameter weight;
    private readonly double _eps;

    public RmsNorm(int size, double eps) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(size), requires_grad: false);
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to(ScalarType.Float32);
        var variance = x.pow(2).mean([-1], keepdim: true);
        var normalized = x * rsqrt(variance + _eps);
        return (weight * normalized.to(input.dtype)).MoveToOuterDisposeScope();
    }
}
