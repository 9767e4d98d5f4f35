using SkiaSharp;

namespace Omni.DiffusionStage.Tests;

internal static class PixelStatistics
{
    public static double StandardDeviation(IReadOnlyList<byte> values)
    {
        var mean = values.Average(v => (double)v);
        return Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    }

    public static SKBitmap DecodePng(byte[] png) =>
        SKBitmap.Decode(png) ?? throw new InvalidDataException("Not a decodable image.");

    /// <summary>Interleaved RGB of a decoded bitmap.</summary>
    public static byte[] Rgb(SKBitmap bitmap)
    {
        var rgb = new byte[bitmap.Width * bitmap.Height * 3];
        var i = 0;
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var color = bitmap.GetPixel(x, y);
                rgb[i++] = color.Red;
                rgb[i++] = color.Green;
                rgb[i++] = color.Blue;
            }
        }

        return rgb;
    }
}
