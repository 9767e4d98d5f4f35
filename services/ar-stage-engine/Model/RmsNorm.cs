using Omni.Common.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>Root-mean-square layer norm as in transformers' LlamaRMSNorm / Qwen2RMSNorm.</summary>
public sealed class RmsNorm : nn.Module<Tensor, bool, Tensor>
{
    // Field name is the checkpoint key suffix ("...norm.weight").
    private readonly Parameter weight;
    private readonly double _eps;
    private readonly Scalar _sqrtSize;

    // The fused form's constants on the device of the last input: 0, and sqrt(size * eps).
    private Tensor? _zero;
    private Tensor? _epsFloor;

    public RmsNorm(int size, double eps) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(size), requires_grad: false);
        _eps = eps;
        _sqrtSize = Math.Sqrt(size);
        RegisterComponents();
    }

    /// <param name="input">[rows, size].</param>
    /// <param name="batchInvariant">With it, transformers' operations (6 kernels, each pointwise one row by row alike);
    /// without it, the same function in 4: x * rsqrt(mean(x^2) + eps) = sqrt(n) * x / hypot(||x||, sqrt(n * eps)).</param>
    public override Tensor forward(Tensor input, bool batchInvariant)
    {
        using var scope = NewDisposeScope();
        var x = input.InDType(ScalarType.Float32);
        if (batchInvariant)
        {
            var variance = x.pow(2).mean([-1], keepdim: true);
            return (weight * (x * rsqrt(variance + _eps)).InDType(input.dtype)).MoveToOuterDisposeScope();
        }

        // The weight multiplies in place (the same kernel, the same bits): a GPU pays per operator call, views and results alike.
        var (zero, epsFloor) = Constants(x);
        var norm = linalg.vector_norm(x, 2, [-1], keepdim: true);
        return addcdiv(zero, x, hypot(norm, epsFloor), _sqrtSize).InDType(input.dtype).mul_(weight).MoveToOuterDisposeScope();
    }

    private (Tensor Zero, Tensor EpsFloor) Constants(Tensor x)
    {
        if (_zero is null || _zero.device_type != x.device_type || _zero.device_index != x.device_index)
        {
            _zero?.Dispose();
            _epsFloor?.Dispose();
            _zero = zeros([], ScalarType.Float32, x.device).DetachFromDisposeScope();
            _epsFloor = full([], Math.Sqrt(weight.shape[0] * _eps), ScalarType.Float32, x.device).DetachFromDisposeScope();
        }
        return (_zero, _epsFloor!);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _zero?.Dispose();
            _epsFloor?.Dispose();
            _sqrtSize.Dispose();
        }
        base.Dispose(disposing);
    }
}
