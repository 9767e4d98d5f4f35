using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// The rotary angles of a step's rows, [tokens, 1, headDim] in the model's dtype (from <see cref="RotaryEmbedding.Angles"/>).
/// </summary>
/// <param name="SignFolded">Whether <paramref name="Sin"/> carries rotate_half's sign (its first half negated).</param>
/// <param name="HeadDim">The last dimension of the angles and of what they rotate (known here, it costs no shape query).</param>
public sealed record RotaryAngles(Tensor Cos, Tensor Sin, bool SignFolded, int HeadDim);
