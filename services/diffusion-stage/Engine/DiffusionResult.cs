namespace Omni.DiffusionStage.Engine;

/// <param name="Image">PNG bytes or raw RGB8, per the request's format.</param>
/// <param name="PreprocessTime">Conditioning to device and its projection, the initial latent noise.</param>
/// <param name="ExecTime">The denoising loop.</param>
/// <param name="PostprocessTime">Latent decoding and image encoding.</param>
public sealed record DiffusionResult(
    byte[] Image,
    int Width,
    int Height,
    TimeSpan PreprocessTime,
    TimeSpan ExecTime,
    TimeSpan PostprocessTime);
