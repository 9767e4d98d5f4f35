namespace Omni.DiffusionStage.Engine;

/// <summary>One image of a request.</summary>
/// <param name="Index">0-based among the request's images.</param>
/// <param name="Seed">The seed of its initial noise (the request's seed + index).</param>
/// <param name="Data">PNG bytes or raw RGB8, per the request's format.</param>
public sealed record GeneratedImage(int Index, ulong Seed, byte[] Data);
