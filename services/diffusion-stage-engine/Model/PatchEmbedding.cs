using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>Latent grid to a token sequence: a conv with kernel = stride = patch size.</summary>
/// <remarks>
/// The conv's weights are applied as one matrix product over the flattened patches: the same arithmetic, but
/// unlike libtorch's CPU convolution (whose kernel choice depends on the batch size) each row of the product does
/// not depend on the other samples in the batch, so a batched request gives the same bytes as a single one.
/// </remarks>
public sealed class PatchEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj;
    private readonly int patchSize;

    public PatchEmbedding(int latentChannels, int hiddenSize, int patchSize) : base(nameof(PatchEmbedding))
    {
        this.patchSize = patchSize;
        proj = nn.Conv2d(latentChannels, hiddenSize, kernel_size: patchSize, stride: patchSize);
        RegisterComponents();
    }

    /// <param name="latents">[batch, channels, h, w].</param>
    /// <returns>[batch, (h/p)*(w/p), hidden], row-major over the patch grid.</returns>
    public override Tensor forward(Tensor latents)
    {
        using var scope = NewDisposeScope();
        var (batch, channels) = (latents.shape[0], latents.shape[1]);
        var (gridHeight, gridWidth) = (latents.shape[2] / patchSize, latents.shape[3] / patchSize);
        // [b, c, gh, p, gw, p] -> [b, gh, gw, c, p, p]: each patch flattened in the conv weight's (c, i, j) order.
        var patches = latents.reshape(batch, channels, gridHeight, patchSize, gridWidth, patchSize)
            .permute(0, 2, 4, 1, 3, 5)
            .reshape(batch, gridHeight * gridWidth, channels * patchSize * patchSize);
        var weight = proj.weight!.reshape(proj.weight.shape[0], -1);
        return scope.MoveToOuter(nn.functional.linear(patches, weight, proj.bias));
    }
}
