using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Model;

/// <summary>
/// A transposed convolution (kernel 2r, stride r) that multiplies the step rate by r, cropped to its first T*r outputs:
/// output step n then depends on input steps n/r and n/r - 1 only, so the layer stays causal.
/// </summary>
public sealed class CausalUpsample : nn.Module<Tensor, Tensor>
{
    private readonly ConvTranspose1d conv;
    private readonly long _rate;

    public CausalUpsample(int inChannels, int outChannels, int rate) : base(nameof(CausalUpsample))
    {
        conv = nn.ConvTranspose1d(inChannels, outChannels, kernel_size: 2 * rate, stride: rate);
        _rate = rate;
        RegisterComponents();
    }

    /// <param name="x">[batch, channels, steps]</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var steps = x.shape[2];
        return scope.MoveToOuter(conv.forward(x).narrow(2, 0, steps * _rate));
    }
}
