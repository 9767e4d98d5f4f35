using TorchSharp;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Model;

/// <summary>x + conv1x1(act(dilated causal conv(act(x)))), as in HiFi-GAN's and EnCodec's decoders.</summary>
public sealed class ResidualUnit : nn.Module<Tensor, Tensor>
{
    private readonly CausalConv1d conv1;
    private readonly CausalConv1d conv2;
    private readonly double _slope;

    public ResidualUnit(int channels, int kernelSize, int dilation, double slope) : base(nameof(ResidualUnit))
    {
        conv1 = new CausalConv1d(channels, channels, kernelSize, dilation);
        conv2 = new CausalConv1d(channels, channels, 1);
        _slope = slope;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hidden = conv1.forward(nn.functional.leaky_relu(x, _slope));
        return scope.MoveToOuter(x + conv2.forward(nn.functional.leaky_relu(hidden, _slope)));
    }
}
