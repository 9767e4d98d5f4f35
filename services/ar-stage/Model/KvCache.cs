using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Preallocated key/value cache for one sequence (batch size 1): per layer, [1, kvHeads, capacity, headDim].
/// Layers write their new keys/values at the current length; the model advances the length after all layers ran.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    public KvCache(TransformerConfig config, int capacity, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            long[] shape = [1, config.NumKeyValueHeads, capacity, config.HeadDim];
            _keys[i] = zeros(shape, dtype: ScalarType.Float32, device: device).DetachFromDisposeScope();
            _values[i] = zeros(shape, dtype: ScalarType.Float32, device: device).DetachFromDisposeScope();
        }
    }

    public int Capacity { get; }

    /// <summary>Number of positions already stored (and the position of the next token).</summary>
    public int Length { get; private set; }

    /// <summary>
    /// Stores keys/values [1, kvHeads, tokens, headDim] of <paramref name="layer"/> after the cached ones and
    /// returns views over everything cached so far, new tokens included.
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var tokens = keys.shape[2];
        if (Length + tokens > Capacity)
        {
            throw new InvalidOperationException($"KV cache overflow: {Length} + {tokens} tokens exceed its capacity of {Capacity}.");
        }

        using (var target = _keys[layer].narrow(2, Length, tokens))
        {
            target.copy_(keys);
        }

        using (var target = _values[layer].narrow(2, Length, tokens))
        {
            target.copy_(values);
        }

        return (_keys[layer].narrow(2, 0, Length + tokens), _values[layer].narrow(2, 0, Length + tokens));
    }

    public void Advance(int tokens)
    {
        if (Length + tokens > Capacity)
        {
            throw new InvalidOperationException($"KV cache overflow: {Length} + {tokens} tokens exceed its capacity of {Capacity}.");
        }

        Length += tokens;
    }

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values))
        {
            t.Dispose();
        }
    }
}
