using System.Runtime.InteropServices;
using Omni.Contracts.V1;

namespace Omni.Common.Payloads;

/// <summary>A complete tensor received as chunks: dtype, shape and its little-endian bytes.</summary>
public sealed record ReceivedTensor(string Name, DataType Dtype, long[] Shape, float[]? Float32, byte[]? Bytes)
{
    public long ElementCount => Shape.Aggregate(1L, (product, dimension) => product * dimension);
}

/// <summary>
/// Reassembles one tensor from its chunks, checking order, sizes and dtype. Float32 payloads are written straight
/// into the float array they end up in (one copy from the wire buffers, none after).
/// </summary>
public sealed class TensorAssembler(long maxBytes)
{
    private string? _name;
    private DataType _dtype;
    private long[] _shape = [];
    private float[]? _floats;
    private byte[]? _bytes;
    private long _received;

    public bool IsComplete { get; private set; }

    /// <summary>Adds the next chunk; throws <see cref="InvalidDataException"/> for a chunk that does not fit.</summary>
    public void Add(TensorChunk chunk)
    {
        if (IsComplete)
        {
            throw new InvalidDataException($"Tensor '{_name}' already complete; unexpected chunk at offset {chunk.Offset}.");
        }
        if (_name is null)
        {
            Start(chunk);
        }
        else if (chunk.Name != _name)
        {
            throw new InvalidDataException($"Chunk of tensor '{chunk.Name}' interleaved with tensor '{_name}'.");
        }
        if ((long)chunk.Offset != _received)
        {
            throw new InvalidDataException($"Tensor '{_name}': chunk at offset {chunk.Offset}, expected {_received}.");
        }
        var length = chunk.Data.Length;
        if (_received + length > (long)chunk.TotalBytes)
        {
            throw new InvalidDataException($"Tensor '{_name}': chunk overruns total_bytes {chunk.TotalBytes}.");
        }
        var target = _floats is not null ? MemoryMarshal.AsBytes(_floats.AsSpan()) : _bytes.AsSpan();
        chunk.Data.Span.CopyTo(target.Slice((int)_received, length));
        _received += length;
        if (chunk.Last)
        {
            if (_received != target.Length)
            {
                throw new InvalidDataException($"Tensor '{_name}': last chunk at {_received} of {target.Length} bytes.");
            }
            IsComplete = true;
        }
    }

    public ReceivedTensor Result() =>
        IsComplete && _name is not null
            ? new ReceivedTensor(_name, _dtype, _shape, _floats, _bytes)
            : throw new InvalidOperationException("The tensor is not complete.");

    private void Start(TensorChunk chunk)
    {
        if (chunk.Offset != 0)
        {
            throw new InvalidDataException($"Tensor '{chunk.Name}': first chunk at offset {chunk.Offset}.");
        }
        _name = chunk.Name;
        _dtype = chunk.Dtype;
        _shape = [.. chunk.Shape];
        long total;
        try
        {
            total = TensorShapes.ByteCount(_dtype, _shape);
        }
        catch (Exception invalid) when (invalid is ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"Tensor '{chunk.Name}': dtype {chunk.Dtype} [{string.Join(", ", chunk.Shape)}] is not a tensor this stage takes ({invalid.Message})");
        }
        if (total != (long)chunk.TotalBytes)
        {
            throw new InvalidDataException($"Tensor '{_name}': total_bytes {chunk.TotalBytes} does not match shape and dtype ({total}).");
        }
        if (total > maxBytes)
        {
            throw new InvalidDataException($"Tensor '{_name}': {total} bytes exceeds the limit of {maxBytes}.");
        }
        if (_dtype == DataType.Float32)
        {
            _floats = new float[total / 4];
        }
        else
        {
            _bytes = new byte[total];
        }
    }
}
