using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>
/// GroupNorm over [batch, channels, ...] with per-channel affine parameters ("weight", "bias").
/// </summary>
/// <remarks>
/// Replaces TorchSharp 0.107's nn.GroupNorm, whose parameters point at freed memory when the module is
/// constructed while a dispose scope is active (its weights then read as garbage and the decoder outputs NaN).
/// </remarks>
public sealed class ChannelGroupNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly int numGroups;
    private readonly double eps;

    public ChannelGroupNorm(int numGroups, int numChannels, double eps) : base(nameof(ChannelGroupNorm))
    {
        this.numGroups = numGroups;
        this.eps = eps;
        weight = nn.Parameter(ones(numChannels));
        bias = nn.Parameter(zeros(numChannels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.group_norm(x, numGroups, weight, bias, eps);
}
