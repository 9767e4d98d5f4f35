namespace Omni.ArStage.Engine;

/// <summary>
/// Final-layer hidden states (after the final norm), row-major [Tokens, Width]: one row per prompt token, then,
/// when text was generated, one row per generated token (the last sampled token included).
/// </summary>
public sealed record HiddenStates(float[] Data, int Tokens, int Width);
