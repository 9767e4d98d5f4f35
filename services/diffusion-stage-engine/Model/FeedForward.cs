using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>The transformer MLP: fc1, tanh-approximated GELU, fc2 (as DiT).</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    public FeedForward(int hiddenSize, int innerSize) : base(nameof(FeedForward))
    {
        fc1 = nn.Linear(hiddenSize, innerSize);
        fc2 = nn.Linear(innerSize, hiddenSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var hidden = nn.functional.gelu(fc1.forward(x), GELU.Approximate.tanh);
        return scope.MoveToOuter(fc2.forward(hidden));
    }
}
