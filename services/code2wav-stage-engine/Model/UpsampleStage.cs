using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Model;

/// <summary>One resolution of the decoder: activation, causal upsampling, then residual units at the new rate.</summary>
public sealed class UpsampleStage : nn.Module<Tensor, Tensor>
{
    private readonly CausalUpsample upsample;
    private readonly ModuleList<ResidualUnit> residuals;
    private readonly double _slope;

    public UpsampleStage(int inChannels, int outChannels, int rate, int kernelSize, IReadOnlyList<int> dilations, double slope) : base(nameof(UpsampleStage))
    {
        upsample = new CausalUpsample(inChannels, outChannels, rate);
        residuals = nn.ModuleList(dilations.Select(dilation => new ResidualUnit(outChannels, kernelSize, dilation, slope)).ToArray());
        _slope = slope;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hidden = upsample.forward(nn.functional.leaky_relu(x, _slope));
        foreach (var residual in residuals)
        {
            hidden = residual.forward(hidden);
        }
        return scope.MoveToOuter(hidden);
    }
}
