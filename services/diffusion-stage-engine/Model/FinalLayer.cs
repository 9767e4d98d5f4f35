using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>adaLN-modulated LayerNorm and a linear map from each token to its patch's latent values.</summary>
public sealed class FinalLayer : nn.Module
{
    private readonly Linear linear;
    private readonly Linear modulation;

    /// <param name="patchValues">Latent values per token (patch volume times latent channels).</param>
    public FinalLayer(int hiddenSize, int patchValues) : base(nameof(FinalLayer))
    {
        linear = nn.Linear(hiddenSize, patchValues);
        modulation = nn.Linear(hiddenSize, 2 * hiddenSize);
        RegisterComponents();
    }

    /// <param name="timestepEmbedding">[rows, hidden].</param>
    /// <returns>[rows, 2 * hidden]: shift, then scale.</returns>
    public Tensor Modulation(Tensor timestepEmbedding)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(modulation.forward(nn.functional.silu(timestepEmbedding)));
    }

    /// <param name="x">[batch, tokens, hidden].</param>
    /// <param name="modulation">[batch, 2 * hidden] from <see cref="Modulation"/>.</param>
    /// <returns>[batch, tokens, patch values].</returns>
    public Tensor forward(Tensor x, Tensor modulation)
    {
        using var scope = NewDisposeScope();
        var chunks = modulation.chunk(2, dim: 1);
        var modulated = AdaLayerNorm.NormalizeAndModulate(x, chunks[0], chunks[1]);
        return scope.MoveToOuter(linear.forward(modulated));
    }
}
