using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// The paged KV cache: one preallocated pool of fixed-size blocks shared by every sequence. Per layer, keys and
/// values are [blocks, blockSize, kvHeads, headDim]; a token's slot is <c>block * blockSize + offset</c>. Which
/// blocks belong to which sequence is the engine's business (its block tables); the pool only stores and gathers.
/// </summary>
public sealed class KvBlockPool : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    // The same memory as slots [blocks * blockSize, kvHeads, headDim], made once: a view per write is an operator call.
    private readonly Tensor[] _keySlots;
    private readonly Tensor[] _valueSlots;
    private readonly int _kvHeads;
    private readonly int _headDim;

    public KvBlockPool(TransformerConfig config, int numBlocks, int blockSize, ScalarType dtype, Device device)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numBlocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        NumBlocks = numBlocks;
        BlockSize = blockSize;
        DType = dtype;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        _keys = new Tensor[config.NumHiddenLayers];
        _values = new Tensor[config.NumHiddenLayers];
        _keySlots = new Tensor[config.NumHiddenLayers];
        _valueSlots = new Tensor[config.NumHiddenLayers];
        try
        {
            for (var i = 0; i < config.NumHiddenLayers; i++)
            {
                long[] shape = [numBlocks, blockSize, _kvHeads, _headDim];
                // Zeros, not empty: padded gathers read unused slots, which must hold finite values (masked out).
                _keys[i] = zeros(shape, dtype: dtype, device: device).DetachFromDisposeScope();
                _values[i] = zeros(shape, dtype: dtype, device: device).DetachFromDisposeScope();
                _keySlots[i] = _keys[i].view(-1, _kvHeads, _headDim).DetachFromDisposeScope();
                _valueSlots[i] = _values[i].view(-1, _kvHeads, _headDim).DetachFromDisposeScope();
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
        _keySlots[layer].index_copy_(0, slots, keys);
        _valueSlots[layer].index_copy_(0, slots, values);
    }

    /// <summary>Copies out the blocks <paramref name="blockIds"/> [n] of <paramref name="layer"/>: keys and values [n, blockSize, kvHeads, headDim].</summary>
    public (Tensor Keys, Tensor Values) Gather(int layer, Tensor blockIds) =>
        (_keys[layer].index_select(0, blockIds), _values[layer].index_select(0, blockIds));

    public void Dispose()
    {
        foreach (var tensor in _keySlots.Concat(_valueSlots).Concat(_keys).Concat(_values))
        {
            tensor?.Dispose();
        }
    }
}
