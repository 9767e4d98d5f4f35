using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// The paged KV cache: one preallocated pool of fixed-size blocks shared by every sequence. A token's slot is
/// <c>block * blockSize + offset</c>. Per layer, keys and values are either two tensors [blocks, blockSize, kvHeads,
/// headDim] or, with <see cref="KeysBesideValues"/>, one [blocks, blockSize, 2 * kvHeads, headDim] holding each slot's
/// keys then its values: a step then stores a layer's keys and values in one copy and reads them in one gather (a GPU
/// pays per call). The strides the attention sees differ between the two, so an engine with batch invariance keeps the
/// first (its bits were measured on it). Which blocks belong to which sequence is the engine's business (its block
/// tables); the pool only stores and gathers.
/// </summary>
public sealed class KvBlockPool : IDisposable
{
    // Per layer: the keys, or keys and values together; and the values apart (null when together).
    private readonly Tensor[] _keys;
    private readonly Tensor?[] _values;
    // The same memory as slots [blocks * blockSize, heads, headDim], made once: a view per write is an operator call.
    private readonly Tensor[] _slots;
    private readonly Tensor?[] _valueSlots;
    // With keys beside values, each half of the slots, for keys and values written apart.
    private readonly Tensor?[] _keyHalf;
    private readonly Tensor?[] _valueHalf;
    private readonly int _kvHeads;
    private readonly int _headDim;

    public KvBlockPool(TransformerConfig config, int numBlocks, int blockSize, ScalarType dtype, Device device, bool keysBesideValues = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numBlocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        NumBlocks = numBlocks;
        BlockSize = blockSize;
        DType = dtype;
        KeysBesideValues = keysBesideValues;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        var layers = config.NumHiddenLayers;
        (_keys, _values, _slots, _valueSlots, _keyHalf, _valueHalf) =
            (new Tensor[layers], new Tensor?[layers], new Tensor[layers], new Tensor?[layers], new Tensor?[layers], new Tensor?[layers]);
        try
        {
            for (var i = 0; i < layers; i++)
            {
                // Zeros, not empty: padded gathers read unused slots, which must hold finite values (masked out).
                if (keysBesideValues)
                {
                    _keys[i] = zeros([numBlocks, blockSize, 2 * _kvHeads, _headDim], dtype: dtype, device: device).DetachFromDisposeScope();
                    _slots[i] = _keys[i].view(-1, 2 * _kvHeads, _headDim).DetachFromDisposeScope();
                    _keyHalf[i] = _slots[i].narrow(1, 0, _kvHeads).DetachFromDisposeScope();
                    _valueHalf[i] = _slots[i].narrow(1, _kvHeads, _kvHeads).DetachFromDisposeScope();
                }
                else
                {
                    long[] shape = [numBlocks, blockSize, _kvHeads, _headDim];
                    _keys[i] = zeros(shape, dtype: dtype, device: device).DetachFromDisposeScope();
                    _values[i] = zeros(shape, dtype: dtype, device: device).DetachFromDisposeScope();
                    _slots[i] = _keys[i].view(-1, _kvHeads, _headDim).DetachFromDisposeScope();
                    _valueSlots[i] = _values[i]!.view(-1, _kvHeads, _headDim).DetachFromDisposeScope();
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int NumBlocks { get; }

    public int BlockSize { get; }

    public ScalarType DType { get; }

    /// <summary>Whether each layer keeps a slot's keys and values side by side in one tensor.</summary>
    public bool KeysBesideValues { get; }

    /// <summary>Bytes one block takes over all layers, keys and values.</summary>
    public static long BytesPerBlock(TransformerConfig config, int blockSize, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(config);
        return 2L * config.NumHiddenLayers * blockSize * config.NumKeyValueHeads * config.HeadDim * ElementSize(dtype);
    }

    public static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 => 2,
        _ => throw new NotSupportedException($"KV cache dtype {dtype} is not supported."),
    };

    /// <summary>Stores keys and values [tokens, kvHeads, headDim] of <paramref name="layer"/> at <paramref name="slots"/> [tokens].</summary>
    public void Write(int layer, Tensor slots, Tensor keys, Tensor values)
    {
        (_keyHalf[layer] ?? _slots[layer]).index_copy_(0, slots, keys);
        (_valueHalf[layer] ?? _valueSlots[layer]!).index_copy_(0, slots, values);
    }

    /// <summary>
    /// Stores <paramref name="keysAndValues"/> [tokens, 2 * kvHeads, headDim] (each token's keys, then its values) of
    /// <paramref name="layer"/> at <paramref name="slots"/> [tokens]: one copy with <see cref="KeysBesideValues"/>.
    /// </summary>
    public void Write(int layer, Tensor slots, Tensor keysAndValues)
    {
        ArgumentNullException.ThrowIfNull(keysAndValues);
        if (KeysBesideValues)
        {
            _slots[layer].index_copy_(0, slots, keysAndValues);
            return;
        }

        using var keys = keysAndValues.narrow(1, 0, _kvHeads);
        using var values = keysAndValues.narrow(1, _kvHeads, _kvHeads);
        Write(layer, slots, keys, values);
    }

    /// <summary>
    /// The keys and values of <paramref name="tiles"/> runs of <paramref name="length"/> positions of
    /// <paramref name="layer"/>, each run the blocks <paramref name="blockIds"/> [tiles * blocks per run] list for it (a
    /// run's blocks cover its length): [tiles, kvHeads, length, headDim] each, views of one new contiguous copy of the
    /// blocks per tensor of the layer, with the strides that copy's layout gives (heads before positions).
    /// </summary>
    public (Tensor Keys, Tensor Values) Gather(int layer, Tensor blockIds, int tiles, int length)
    {
        var heads = KeysBesideValues ? 2 * _kvHeads : _kvHeads;
        long[] shape = [tiles, _kvHeads, length, _headDim];
        var positionsPerTile = (length + BlockSize - 1) / BlockSize * BlockSize;
        long[] strides = [positionsPerTile * heads * _headDim, _headDim, heads * _headDim, 1];
        if (KeysBesideValues)
        {
            // The gather's output is new and contiguous: its storage starts at the first key, the values kvHeads heads on.
            var pages = _keys[layer].index_select(0, blockIds);
            return (pages.as_strided(shape, strides), pages.as_strided(shape, strides, _kvHeads * _headDim));
        }

        return (_keys[layer].index_select(0, blockIds).as_strided(shape, strides), _values[layer]!.index_select(0, blockIds).as_strided(shape, strides));
    }

    public void Dispose()
    {
        foreach (var tensor in _keyHalf.Concat(_valueHalf).Concat(_slots).Concat(_valueSlots).Concat(_keys).Concat(_values))
        {
            tensor?.Dispose();
        }
    }
}
