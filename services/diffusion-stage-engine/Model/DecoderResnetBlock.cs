using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>A VAE-decoder residual block: (GroupNorm, SiLU, 3x3 conv) twice plus the identity.</summary>
public sealed class DecoderResnetBlock : nn.Module<Tensor, Tensor>
{
    private readonly ChannelGroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly ChannelGroupNorm norm2;
    private readonly Conv2d conv2;

    public DecoderResnetBlock(int channels, int normGroups) : base(nameof(DecoderResnetBlock))
    {
        norm1 = new ChannelGroupNorm(normGroups, channels, eps: 1e-6);
        conv1 = nn.Conv2d(channels, channels, kernel_size: 3, padding: 1);
        norm2 = new ChannelGroupNorm(normGroups, channels, eps: 1e-6);
        conv2 = nn.Conv2d(channels, channels, kernel_size: 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = conv1.forward(nn.functional.silu(norm1.forward(x)));
        h = conv2.forward(nn.functional.silu(norm2.forward(h)));
        return scope.MoveToOuter(x.add(h));
    }
}
