using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Linear layers that read the same input computed as one product: their weights (and biases) concatenated into one
/// tensor, each layer's checkpoint-named parameters becoming views of it (same names, same memory). A model moved to
/// another device or dtype afterwards computes the layers apart again (<see cref="Serves"/> is then false).
/// </summary>
internal sealed class FusedLinear : IDisposable
{
    private readonly Tensor _weight;
    private readonly Tensor? _bias;

    public FusedLinear(params Linear[] layers)
    {
        using var noGrad = no_grad();
        _weight = cat([.. layers.Select(layer => (Tensor)layer.weight!)], 0).DetachFromDisposeScope();
        _bias = layers[0].bias is null ? null : cat([.. layers.Select(layer => (Tensor)layer.bias!)], 0).DetachFromDisposeScope();
        long offset = 0;
        foreach (var layer in layers)
        {
            var rows = layer.weight!.shape[0];
            layer.weight = new Parameter(_weight.narrow(0, offset, rows), requires_grad: false);
            if (_bias is not null)
            {
                layer.bias = new Parameter(_bias.narrow(0, offset, rows), requires_grad: false);
            }
            offset += rows;
        }
    }

    /// <summary>Whether the fused weight is where <paramref name="input"/> is, in its dtype.</summary>
    public bool Serves(Tensor input) =>
        _weight.device_type == input.device_type && _weight.device_index == input.device_index && _weight.dtype == input.dtype;

    /// <summary>[..., sum of the layers' outputs]: each layer's output in the order given.</summary>
    public Tensor Forward(Tensor input) => nn.functional.linear(input, _weight, _bias);

    public void Dispose()
    {
        _weight.Dispose();
        _bias?.Dispose();
    }
}
