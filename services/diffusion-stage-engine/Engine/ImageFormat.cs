namespace Omni.DiffusionStage.Engine;

public enum ImageFormat
{
    /// <summary>PNG bytes (RGB, 8 bits per channel).</summary>
    Png,

    /// <summary>Raw interleaved RGB, width * height * 3 bytes, row-major.</summary>
    Rgb8,
}
