using Omni.DiffusionStage.Imaging;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Tests;

public sealed class ImagingTests
{
    [Fact]
    public void ToRgb8_DecoderRange_MapsToRoundedClampedBytesInterleaved()
    {
        using var scope = NewDisposeScope();
        // [3, 1, 2]: pixel (0,0) = (-1, 0, 1), pixel (0,1) = (-3, 0.5, 3).
        var image = tensor(new[] { -1f, -3f, 0f, 0.5f, 1f, 3f }, [3, 1, 2]);

        var rgb = ImageTensors.ToRgb8(image);

        // 127.5 rounds half to even (128), 0.5 -> 191.25 -> 191.
        Assert.Equal(new byte[] { 0, 128, 255, 0, 191, 255 }, rgb);
    }

    [Fact]
    public void Encode_RgbPixels_DecodesToSameSizeAndPixels()
    {
        const int width = 7;
        const int height = 5;
        var rgb = Enumerable.Range(0, width * height * 3).Select(i => (byte)((i * 37) % 256)).ToArray();

        var png = PngEncoder.Encode(rgb, width, height);

        using var bitmap = PixelStatistics.DecodePng(png);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        Assert.Equal(rgb, PixelStatistics.Rgb(bitmap));
    }

    [Fact]
    public void Encode_SamePixelsTwice_IdenticalBytes()
    {
        var rgb = Enumerable.Range(0, 16 * 16 * 3).Select(i => (byte)(i % 251)).ToArray();

        Assert.Equal(PngEncoder.Encode(rgb, 16, 16), PngEncoder.Encode(rgb, 16, 16));
    }
}
