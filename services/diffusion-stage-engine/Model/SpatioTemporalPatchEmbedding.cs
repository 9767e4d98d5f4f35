using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>
/// Video latents to a token sequence (the video DiT's input, issue 17): a Conv3d with kernel = stride =
/// (patch_size_t, patch_size, patch_size), checkpoint-named <c>proj.weight</c> / <c>proj.bias</c> as in Wan and Latte.
/// </summary>
/// <remarks>
/// As <see cref="PatchEmbedding"/>, the convolution's weights are applied as one matrix product over the flattened
/// patches: the same arithmetic, but each row of the product is independent of the other samples in the batch.
/// </remarks>
public sealed class SpatioTemporalPatchEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Conv3d proj;
    private readonly int patchSize;
    private readonly int patchSizeT;

    public SpatioTemporalPatchEmbedding(int latentChannels, int hiddenSize, int patchSize, int patchSizeT) : base(nameof(SpatioTemporalPatchEmbedding))
    {
        this.patchSize = patchSize;
        this.patchSizeT = patchSizeT;
        proj = nn.Conv3d(latentChannels, hiddenSize, kernel_size: (patchSizeT, patchSize, patchSize), stride: (patchSizeT, patchSize, patchSize));
        RegisterComponents();
    }

    /// <param name="latents">[batch, channels, frames, h, w]; frames a multiple of patch_size_t, h and w of patch_size.</param>
    /// <returns>[batch, (frames/pt)*(h/p)*(w/p), hidden], ordered by time, then row, then column.</returns>
    public override Tensor forward(Tensor latents)
    {
        using var scope = NewDisposeScope();
        var patches = VideoPatches.Patchify(latents, patchSizeT, patchSize);
        var weight = proj.weight!.reshape(proj.weight.shape[0], -1);
        return scope.MoveToOuter(nn.functional.linear(patches, weight, proj.bias));
    }
}
