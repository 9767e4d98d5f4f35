using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>Projects conditioning hidden states (conditioning width) to the model width, as PixArt's caption projection.</summary>
public sealed class ConditioningProjection : nn.Module<Tensor, Tensor>
{
    private readonly Linear linear_1;
    private readonly Linear linear_2;

    public ConditioningProjection(int conditioningWidth, int hiddenSize) : base(nameof(ConditioningProjection))
    {
        linear_1 = nn.Linear(conditioningWidth, hiddenSize);
        linear_2 = nn.Linear(hiddenSize, hiddenSize);
        RegisterComponents();
    }

    /// <param name="conditioning">[batch, tokens, conditioning width].</param>
    /// <returns>[batch, tokens, hidden].</returns>
    public override Tensor forward(Tensor conditioning)
    {
        using var scope = NewDisposeScope();
        var hidden = nn.functional.gelu(linear_1.forward(conditioning), GELU.Approximate.tanh);
        return scope.MoveToOuter(linear_2.forward(hidden));
    }
}
