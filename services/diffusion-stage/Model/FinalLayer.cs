using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>adaLN-modulated LayerNorm and a linear map from each token to its patch's latent values.</summary>
public sealed class FinalLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear linear;
    private readonly Linear modulation;

    public FinalLayer(int hiddenSize, int patchSize, int latentChannels) : base(nameof(FinalLayer))
    {
        linear = nn.Linear(hiddenSize, patchSize * patchSize * latentChannels);
        modulation = nn.Linear(hiddenSize, 2 * hiddenSize);
        RegisterComponents();
    }

    /// <returns>[batch, tokens, patch * patch * latent channels].</returns>
    public override Tensor forward(Tensor x, Tensor timestepEmbedding)
    {
        using var scope = NewDisposeScope();
        var chunks = modulation.forward(nn.functional.silu(timestepEmbedding)).chunk(2, dim: 1);
        var modulated = AdaLayerNorm.NormalizeAndModulate(x, chunks[0], chunks[1]);
        return scope.MoveToOuter(linear.forward(modulated));
    }
}
