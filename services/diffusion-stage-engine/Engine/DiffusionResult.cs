using Omni.DiffusionStage.Imaging;

namespace Omni.DiffusionStage.Engine;

/// <param name="Images">The request's images, in index order (none for a video: its frames went to the frame sink).</param>
/// <param name="PreprocessTime">Conditioning to the device, its projection and cross-attention keys/values, the initial noise.</param>
/// <param name="ExecTime">
/// The denoising loop: from the start of the request's first step to the end of its last, wall time (in a batch,
/// the steps it shared with other requests count whole).
/// </param>
/// <param name="PostprocessTime">Latent decoding and image encoding of the request's images (a video's frames: decoding).</param>
public sealed record DiffusionResult(
    IReadOnlyList<GeneratedImage> Images,
    int Width,
    int Height,
    ImageFormat Format,
    TimeSpan PreprocessTime,
    TimeSpan ExecTime,
    TimeSpan PostprocessTime)
{
    public const string Rgb8MimeType = "application/x-rgb8";

    /// <summary>A video's frames, each handed to the frame sink as it was decoded; 0 for images.</summary>
    public int Frames { get; init; }

    /// <summary>"image/png" or "application/x-rgb8".</summary>
    public string MimeType => Format == ImageFormat.Png ? PngEncoder.MimeType : Rgb8MimeType;
}
