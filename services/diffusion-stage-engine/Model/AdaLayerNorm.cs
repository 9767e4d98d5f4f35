using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>The parameter-free LayerNorm and shift/scale modulation of adaLN blocks.</summary>
internal static class AdaLayerNorm
{
    public const double Epsilon = 1e-6;

    /// <summary>LayerNorm without affine parameters, then x * (1 + scale) + shift, with per-sample [batch, hidden] shift/scale.</summary>
    public static Tensor NormalizeAndModulate(Tensor x, Tensor shift, Tensor scale)
    {
        using var scope = NewDisposeScope();
        var normalized = nn.functional.layer_norm(x, [x.shape[^1]], eps: Epsilon);
        var modulated = normalized.mul(scale.unsqueeze(1).add(1)).add(shift.unsqueeze(1));
        return scope.MoveToOuter(modulated);
    }
}
