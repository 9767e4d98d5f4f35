using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>Latent grid to a token sequence: a conv with kernel = stride = patch size.</summary>
public sealed class PatchEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj;

    public PatchEmbedding(int latentChannels, int hiddenSize, int patchSize) : base(nameof(PatchEmbedding))
    {
        proj = nn.Conv2d(latentChannels, hiddenSize, kernel_size: patchSize, stride: patchSize);
        RegisterComponents();
    }

    /// <param name="latents">[batch, channels, h, w].</param>
    /// <returns>[batch, (h/p)*(w/p), hidden], row-major over the patch grid.</returns>
    public override Tensor forward(Tensor latents)
    {
        using var scope = NewDisposeScope();
        var patches = proj.forward(latents);
        return scope.MoveToOuter(patches.flatten(2).transpose(1, 2));
    }
}
