namespace Omni.Code2Wav.Engine;

/// <summary>One chunk to decode: the codes of its left context followed by its own frames.</summary>
/// <param name="Input">Context frames, then the chunk's frames (codes in [0, codebook_size)).</param>
/// <param name="ContextFrames">How many of <paramref name="Input"/>'s frames are context, whose samples are dropped.</param>
public sealed record DecodeJob(long[] Input, int ContextFrames)
{
    public int Frames => Input.Length - ContextFrames;
}
