using Omni.Common.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Rotary position embeddings with Hugging Face's rotate_half layout: the head dimension is split into two halves
/// that rotate together, and <c>inv_freq</c> (with its optional <see cref="RopeScaling"/>) is computed in float32
/// exactly as transformers does. Not an nn.Module: it owns no checkpoint state (transformers' inv_freq buffer is
/// non-persistent).
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private static readonly Scalar One = 1.0;

    private readonly Tensor _invFreq;
    private readonly int _headDim;
    private readonly int _maxPositions;

    // Without batch invariance, every position's angles [maxPositions, 2 (cos, signed sin), 1, headDim] in the dtype
    // last asked for, made on first use: a step then reads its rows' angles in one gather (vLLM's cos_sin_cache).
    private Tensor? _table;

    /// <param name="maxPositions">Positions the sign-folded angles are tabulated for (the model's max_position_embeddings).</param>
    public RotaryEmbedding(int headDim, double theta, RopeScaling? scaling, Device device, int maxPositions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPositions);
        _headDim = headDim;
        _maxPositions = maxPositions;
        using var scope = NewDisposeScope();
        _invFreq = InverseFrequencies(headDim, theta, scaling).to(device).DetachFromDisposeScope();
    }

    public bool IsOn(Device device) => _invFreq.device_type == device.type && _invFreq.device_index == device.index;

    /// <summary>float32 inv_freq [headDim / 2], as transformers' rope initialisation functions compute it.</summary>
    public static Tensor InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        using var scope = NewDisposeScope();
        // 1 / theta ** (arange(0, dim, 2, int64).float() / dim), with the power taken in float32.
        var exponents = arange(0, headDim, 2, dtype: ScalarType.Int64).to(ScalarType.Float32) / headDim;
        var basis = full([exponents.shape[0]], theta, dtype: ScalarType.Float32);
        var invFreq = 1.0f / basis.pow(exponents);
        var scaled = scaling?.Type switch
        {
            null => invFreq,
            RopeScaling.Linear => invFreq / scaling.Factor,
            _ => Llama3(invFreq, scaling),
        };
        return scaled.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The angles of the int64 <paramref name="positions"/> [tokens], computed in float32 as transformers does and cast
    /// to <paramref name="dtype"/> once for every layer of the step.
    /// </summary>
    /// <param name="batchInvariant">With it, the rotation keeps transformers' operations (each pointwise function
    /// batch-invariant); without it, the sine comes with rotate_half's sign folded in, so that a rotation is three
    /// kernels instead of five (see <see cref="Apply"/>).</param>
    public RotaryAngles Angles(Tensor positions, ScalarType dtype, bool batchInvariant = true)
    {
        ArgumentNullException.ThrowIfNull(positions);
        if (!batchInvariant)
        {
            // Three tensors a step instead of ten: the rows' angles gathered from the table, cos and sin views of them.
            var rows = Table(dtype).index_select(0, positions);
            return new RotaryAngles(rows.select(1, 0), rows.select(1, 1), SignFolded: true, _headDim);
        }

        using var scope = NewDisposeScope();
        var (cos, sin) = CosSin(positions.to(ScalarType.Float32), batchInvariant);
        return new RotaryAngles(cos.unsqueeze(1).InDType(dtype).MoveToOuterDisposeScope(), sin.unsqueeze(1).InDType(dtype).MoveToOuterDisposeScope(),
            SignFolded: false, _headDim);
    }

    // cos and sin [tokens, headDim] of float32 positions, computed in float32 as transformers does.
    private (Tensor Cos, Tensor Sin) CosSin(Tensor positions, bool batchInvariant)
    {
        var freqs = outer(positions, _invFreq);
        var emb = cat([freqs, freqs], -1);
        var sinInput = batchInvariant ? emb : cat([-freqs, freqs], -1);
        return (BatchInvariantOps.Pointwise(emb, t => t.cos(), batchInvariant), BatchInvariantOps.Pointwise(sinInput, t => t.sin(), batchInvariant));
    }

    private Tensor Table(ScalarType dtype)
    {
        if (_table is null || _table.dtype != dtype)
        {
            using var scope = NewDisposeScope();
            var (cos, sin) = CosSin(arange(_maxPositions, dtype: ScalarType.Float32, device: _invFreq.device), batchInvariant: false);
            _table?.Dispose();
            _table = stack([cos, sin], 1).unsqueeze(2).to(dtype).contiguous().DetachFromDisposeScope();
        }
        return _table;
    }

    /// <summary>Rotates x [tokens, heads, headDim] by the angles of its tokens (from <see cref="Angles"/>).</summary>
    public static Tensor Apply(Tensor x, RotaryAngles angles)
    {
        ArgumentNullException.ThrowIfNull(angles);
        using var scope = NewDisposeScope();
        var half = angles.HeadDim / 2;
        if (angles.SignFolded)
        {
            // rotate_half(x) * sin = cat(-x2, x1) * cat(sin, sin) = roll(x, half) * cat(-sin, sin).
            return addcmul(x * angles.Cos, x.roll(half, -1), angles.Sin, One).MoveToOuterDisposeScope();
        }
        var rotated = cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return (x * angles.Cos + rotated * angles.Sin).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Rotates x [tokens, heads, headDim] in place by angles whose sine has rotate_half's sign folded in (from
    /// <see cref="Angles"/> without batch invariance): the same kernels and bits as <see cref="Apply"/>, no new tensor
    /// but the rolled copy.
    /// </summary>
    public static void ApplyInPlace(Tensor x, RotaryAngles angles)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(angles);
        if (!angles.SignFolded)
        {
            throw new ArgumentException("Rotating in place needs the angles made without batch invariance (sign folded).", nameof(angles));
        }

        using var rolled = x.roll(angles.HeadDim / 2, -1);
        x.mul_(angles.Cos).addcmul_(rolled, angles.Sin, One);
    }

    public void Dispose()
    {
        _invFreq.Dispose();
        _table?.Dispose();
    }

    // transformers' _compute_llama3_parameters.
    private static Tensor Llama3(Tensor invFreq, RopeScaling scaling)
    {
        var lowFreqWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
        var highFreqWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
        var wavelen = 2 * Math.PI / invFreq;
        var scaled = where(wavelen > lowFreqWavelen, invFreq / scaling.Factor, invFreq);
        var smooth = (scaling.OriginalMaxPositionEmbeddings / wavelen - scaling.LowFreqFactor) / (scaling.HighFreqFactor - scaling.LowFreqFactor);
        var smoothed = (1 - smooth) * scaled / scaling.Factor + smooth * scaled;
        var isMedium = (wavelen < highFreqWavelen).logical_not().logical_and((wavelen > lowFreqWavelen).logical_not());
        return where(isMedium, smoothed, scaled);
    }
}
