using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>
/// Video latents cut into spatio-temporal patches and put back (the video DiT's two ends, issue 17). A patch is
/// flattened in a Conv3d weight's (channel, t, i, j) order, so that a linear map with the weight's rows is the
/// convolution; tokens are ordered by time, then row, then column.
/// </summary>
public static class VideoPatches
{
    /// <param name="latents">[batch, channels, frames, h, w].</param>
    /// <returns>[batch, gt*gh*gw, channels*pt*p*p].</returns>
    public static Tensor Patchify(Tensor latents, int patchSizeT, int patchSize)
    {
        ArgumentNullException.ThrowIfNull(latents);
        var (batch, channels) = (latents.shape[0], latents.shape[1]);
        var (gridT, gridHeight, gridWidth) = (latents.shape[2] / patchSizeT, latents.shape[3] / patchSize, latents.shape[4] / patchSize);
        using var scope = NewDisposeScope();
        var patches = latents.reshape(batch, channels, gridT, patchSizeT, gridHeight, patchSize, gridWidth, patchSize)
            .permute(0, 2, 4, 6, 1, 3, 5, 7)
            .reshape(batch, gridT * gridHeight * gridWidth, channels * patchSizeT * patchSize * patchSize);
        return scope.MoveToOuter(patches);
    }

    /// <summary>The DiT's output patches back to latents: [batch, gt*gh*gw, channels*pt*p*p] to [batch, channels, gt*pt, gh*p, gw*p].</summary>
    public static Tensor Unpatchify(Tensor patches, int channels, int patchSizeT, int patchSize, long gridT, long gridHeight, long gridWidth)
    {
        ArgumentNullException.ThrowIfNull(patches);
        var batch = patches.shape[0];
        using var scope = NewDisposeScope();
        var latents = patches.reshape(batch, gridT, gridHeight, gridWidth, channels, patchSizeT, patchSize, patchSize)
            .permute(0, 4, 1, 5, 2, 6, 3, 7)
            .reshape(batch, channels, gridT * patchSizeT, gridHeight * patchSize, gridWidth * patchSize);
        return scope.MoveToOuter(latents);
    }
}
