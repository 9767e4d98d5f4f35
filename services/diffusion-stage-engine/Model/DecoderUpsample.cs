using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>Nearest-neighbour 2x upsampling followed by a 3x3 conv that also changes the channel count.</summary>
public sealed class DecoderUpsample : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public DecoderUpsample(int inChannels, int outChannels) : base(nameof(DecoderUpsample))
    {
        conv = nn.Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var upsampled = nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return scope.MoveToOuter(conv.forward(upsampled));
    }
}
