using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Model;

/// <summary>A 1D convolution padded on the left only: output step t sees input steps up to t, never after.</summary>
public sealed class CausalConv1d : nn.Module<Tensor, Tensor>
{
    private readonly Conv1d conv;
    private readonly long _leftPadding;

    public CausalConv1d(int inChannels, int outChannels, int kernelSize, int dilation = 1) : base(nameof(CausalConv1d))
    {
        conv = nn.Conv1d(inChannels, outChannels, kernelSize, dilation: dilation);
        _leftPadding = (long)(kernelSize - 1) * dilation;
        RegisterComponents();
    }

    /// <param name="x">[batch, channels, steps]</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var padded = _leftPadding == 0 ? x : nn.functional.pad(x, [_leftPadding, 0]);
        return scope.MoveToOuter(conv.forward(padded));
    }
}
