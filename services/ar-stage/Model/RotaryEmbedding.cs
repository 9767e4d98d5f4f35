using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Rotary position embeddings with Hugging Face's rotate_half layout: the head dimension is split into two halves
/// that rotate together, and <c>inv_freq</c> is computed in float32 exactly as transformers does.
/// Not an nn.Module: it owns no checkpoint state (transformers' inv_freq buffer is non-persistent).
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _invFreq;

    public RotaryEmbedding(int headDim, double theta, Device device)
    {
        using var scope = NewDisposeScope();
        // 1 / theta ** (arange(0, dim, 2, int64).float() / dim), with the power taken in float32.
        var exponents = arange(0, headDim, 2, dtype: ScalarType.Int64).to(ScalarType.Float32) / headDim;
        var basis = full([exponents.shape[0]], theta, dtype: ScalarType.Float32);
        _invFreq = (1.0f / basis.pow(exponents)).to(device).DetachFromDisposeScope();
    }

    public bool IsOn(Device device) => _invFreq.device_type == device.type && _invFreq.device_index == device.index;

    /// <summary>Returns (cos, sin), each [positions, headDim], for positions start .. start + count - 1.</summary>
    public (Tensor Cos, Tensor Sin) Angles(long start, long count)
    {
        using var scope = NewDisposeScope();
        var positions = arange(start, start + count, dtype: ScalarType.Float32, device: _invFreq.device);
        var freqs = outer(positions, _invFreq);
        var emb = cat([freqs, freqs], -1);
        return (emb.cos().MoveToOuterDisposeScope(), emb.sin().MoveToOuterDisposeScope());
    }

    /// <summary>Rotates x [batch, heads, tokens, headDim] by the angles from <see cref="Angles"/>.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var half = x.shape[^1] / 2;
        var rotated = cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }

    public void Dispose() => _invFreq.Dispose();
}
