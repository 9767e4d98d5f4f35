using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>
/// A small VAE-style convolutional decoder: latents [batch, C, H/f, W/f] to RGB [batch, 3, H, W], unbounded
/// (the image conversion clamps to [-1, 1]), with f = 2^(stages - 1).
/// </summary>
public sealed class LatentDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv_in;
    private readonly ModuleList<DecoderResnetBlock> resnets;
    private readonly ModuleList<DecoderUpsample> upsamplers;
    private readonly ChannelGroupNorm norm_out;
    private readonly Conv2d conv_out;

    public LatentDecoder(int latentChannels, IReadOnlyList<int> channels, int normGroups) : base(nameof(LatentDecoder))
    {
        conv_in = nn.Conv2d(latentChannels, channels[0], kernel_size: 3, padding: 1);
        resnets = nn.ModuleList(channels.Select(c => new DecoderResnetBlock(c, normGroups)).ToArray());
        upsamplers = nn.ModuleList(Enumerable.Range(0, channels.Count - 1)
            .Select(i => new DecoderUpsample(channels[i], channels[i + 1]))
            .ToArray());
        norm_out = new ChannelGroupNorm(normGroups, channels[^1], eps: 1e-6);
        conv_out = nn.Conv2d(channels[^1], 3, kernel_size: 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor latents)
    {
        using var scope = NewDisposeScope();
        var h = conv_in.forward(latents);
        for (var stage = 0; stage < resnets.Count; stage++)
        {
            h = resnets[stage].forward(h);
            if (stage < upsamplers.Count)
            {
                h = upsamplers[stage].forward(h);
            }
        }

        var image = conv_out.forward(nn.functional.silu(norm_out.forward(h)));
        return scope.MoveToOuter(image);
    }
}
