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
    private readonly ChunkSequence _sequence = new();
    private DataType _dtype;
    private long[] _shape = [];
    private float[]? _floats;
    private byte[]? _bytes;

    public bool IsComplete => _sequence.IsComplete;

    /// <summary>Adds the next chunk; throws <see cref="InvalidDataException"/> for a chunk that does not fit.</summary>
    public void Add(TensorChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (_sequence.Accept(chunk))
        {
            Start(chunk);
        }
        var (name, received) = (_sequence.Name, _sequence.Received);
        var length = chunk.Data.Length;
        var target = _floats is not null ? MemoryMarshal.AsBytes(_floats.AsSpan()) : _bytes.AsSpan();
        // Against the size the first chunk fixed: a later chunk's total_bytes is not trusted.
        if (received + length > target.Length)
        {
            throw new InvalidDataException($"Tensor '{name}': a chunk overruns the tensor's {target.Length} bytes.");
        }
        chunk.Data.Span.CopyTo(target.Slice((int)received, length));
        if (chunk.Last && received + length != target.Length)
        {
            throw new InvalidDataException($"Tensor '{name}': last chunk at {received + length} of {target.Length} bytes.");
        }
        _sequence.Advance(length, chunk.Last);
    }

    public ReceivedTensor Result() =>
        IsComplete
            ? new ReceivedTensor(_sequence.Name!, _dtype, _shape, _floats, _bytes)
            : throw new InvalidOperationException("The tensor is not complete.");

    private void Start(TensorChunk chunk)
    {
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
            throw new InvalidDataException($"Tensor '{chunk.Name}': total_bytes {chunk.TotalBytes} does not match shape and dtype ({total}).");
        }
        if (total > maxBytes)
        {
            throw new InvalidDataException($"Tensor '{chunk.Name}': {total} bytes exceeds the limit of {maxBytes}.");
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
