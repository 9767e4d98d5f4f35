using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Imaging;

/// <summary>Conversions from decoder output to 8-bit pixels.</summary>
public static class ImageTensors
{
    /// <summary>
    /// [3, H, W] (or [1, 3, H, W]) values in [-1, 1] (clamped) to interleaved RGB8 bytes (H * W * 3, row-major):
    /// round((x + 1) * 127.5).
    /// </summary>
    public static byte[] ToRgb8(Tensor image)
    {
        using var scope = NewDisposeScope();
        var chw = image.dim() == 4 ? image.squeeze(0) : image;
        if (chw.dim() != 3 || chw.shape[0] != 3)
        {
            throw new ArgumentException($"Expected an image tensor [3, H, W], got [{string.Join(", ", image.shape)}].", nameof(image));
        }

        return HostCopies.ToArray<byte>(chw.to(float32).clamp(-1f, 1f).add(1f).mul(127.5f).round().clamp(0f, 255f)
            .to(uint8).permute(1, 2, 0).contiguous());
    }
}
