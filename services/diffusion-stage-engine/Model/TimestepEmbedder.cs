using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>Sinusoidal timestep features (DiT / diffusers, cos first) followed by a two-layer SiLU MLP.</summary>
public sealed class TimestepEmbedder : nn.Module<Tensor, Tensor>
{
    private const double MaxPeriod = 10000.0;

    private readonly Linear linear_1;
    private readonly Linear linear_2;
    private readonly int frequencySize;

    public TimestepEmbedder(int frequencySize, int hiddenSize) : base(nameof(TimestepEmbedder))
    {
        this.frequencySize = frequencySize;
        linear_1 = nn.Linear(frequencySize, hiddenSize);
        linear_2 = nn.Linear(hiddenSize, hiddenSize);
        RegisterComponents();
    }

    /// <param name="timesteps">[batch] timesteps in [0, num_train_timesteps].</param>
    /// <returns>[batch, hidden].</returns>
    public override Tensor forward(Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var features = SinusoidalFeatures(timesteps, frequencySize);
        var hidden = nn.functional.silu(linear_1.forward(features));
        return scope.MoveToOuter(linear_2.forward(hidden));
    }

    internal static Tensor SinusoidalFeatures(Tensor timesteps, int dim)
    {
        using var scope = NewDisposeScope();
        var half = dim / 2;
        var exponents = arange(half, dtype: float32, device: timesteps.device).mul(-Math.Log(MaxPeriod) / half);
        var args = timesteps.to(float32).unsqueeze(1).mul(exponents.exp().unsqueeze(0));
        return scope.MoveToOuter(cat([args.cos(), args.sin()], dim: 1));
    }
}
