using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// residual + layer(input) in one operator call where it can: addmm(residual, input, weightᵀ) for a layer without bias,
/// its weight's transpose a view made once. A model moved to another device or dtype afterwards, or a layer with a bias,
/// adds the two apart. Used without batch invariance only (the bits of a product depend on its shape and epilogue).
/// </summary>
internal sealed class ResidualLinear : IDisposable
{
    private readonly Linear _layer;
    private readonly Tensor? _weightTransposed;

    public ResidualLinear(Linear layer)
    {
        _layer = layer;
        _weightTransposed = layer.bias is null ? layer.weight!.t().DetachFromDisposeScope() : null;
    }

    /// <summary>residual [rows, out] + layer(input [rows, in]).</summary>
    public Tensor Forward(Tensor residual, Tensor input) =>
        _weightTransposed is { } weight && weight.device_type == input.device_type && weight.device_index == input.device_index && weight.dtype == input.dtype
            ? addmm(residual, input, weight, 1, 1)
            : residual + _layer.call(input);

    public void Dispose() => _weightTransposed?.Dispose();
}
