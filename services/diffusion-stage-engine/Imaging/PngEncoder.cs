using SkiaSharp;

namespace Omni.DiffusionStage.Imaging;

/// <summary>Encodes RGB8 pixels as PNG with SkiaSharp. The same pixels always give the same bytes.</summary>
public static class PngEncoder
{
    public const string MimeType = "image/png";

    /// <param name="rgb">Interleaved RGB, width * height * 3 bytes, row-major.</param>
    public static byte[] Encode(ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (rgb.Length != checked(width * height * 3))
        {
            throw new ArgumentException($"Expected {width * height * 3} RGB bytes for {width}x{height}, got {rgb.Length}.", nameof(rgb));
        }

        // Skia has no packed 24-bit format; opaque RGBA is written as an RGB PNG.
        var rgba = new byte[width * height * 4];
        for (int source = 0, target = 0; source < rgb.Length; source += 3, target += 4)
        {
            rgba[target] = rgb[source];
            rgba[target + 1] = rgb[source + 1];
            rgba[target + 2] = rgb[source + 2];
            rgba[target + 3] = 255;
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var image = SKImage.FromPixelCopy(info, rgba, width * 4)
            ?? throw new InvalidOperationException("SkiaSharp could not wrap the pixels.");
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("SkiaSharp could not encode the PNG.");
        return data.ToArray();
    }
}
