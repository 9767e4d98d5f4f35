namespace Omni.DiffusionStage.Engine;

/// <summary>One decoded frame of a video request.</summary>
/// <param name="Index">0-based.</param>
/// <param name="Rgb">Interleaved RGB8, width * height * 3 bytes, row-major.</param>
public sealed record VideoFrame(int Index, byte[] Rgb);
