using Omni.Contracts.V1;

namespace Omni.Common.Payloads;

/// <summary>Rows of a streamed tensor as one chunk brought them: little-endian bytes of whole rows of <see cref="RowShape"/>.</summary>
public sealed record StreamedRows(string Name, DataType Dtype, long[] RowShape, byte[] Data, bool Last)
{
    public long RowBytes => TensorShapes.ByteCount(Dtype, RowShape);

    public long Rows => Data.Length / RowBytes;
}

/// <summary>
/// Checks the chunks of one streamed tensor (a tensor that grows along its first dimension while it is produced) as
/// they arrive, and hands each one's rows on at once: order, name, dtype and row shape, whole rows, and a size limit.
/// </summary>
public sealed class StreamedTensorAssembler(long maxBytes)
{
    private string? _name;
    private DataType _dtype;
    private long[] _rowShape = [];
    private long _rowBytes;
    private long _received;

    public bool IsComplete { get; private set; }

    /// <summary>Rows received so far.</summary>
    public long Rows => _rowBytes == 0 ? 0 : _received / _rowBytes;

    /// <summary>Checks the next chunk and returns its rows; throws <see cref="InvalidDataException"/> for one that does not fit.</summary>
    public StreamedRows Add(TensorChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (IsComplete)
        {
            throw new InvalidDataException($"Tensor '{_name}' already complete; unexpected chunk at offset {chunk.Offset}.");
        }
        if (!chunk.Streamed)
        {
            throw new InvalidDataException($"Tensor '{chunk.Name}' must be streamed (its rows sent as they are produced).");
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
        if (length % _rowBytes != 0)
        {
            throw new InvalidDataException($"Tensor '{_name}': a chunk of {length} bytes is not whole rows of {_rowBytes} bytes.");
        }
        if (_received + length > maxBytes)
        {
            throw new InvalidDataException($"Tensor '{_name}': more than the limit of {maxBytes} bytes.");
        }
        _received += length;
        IsComplete = chunk.Last;
        return new StreamedRows(_name!, _dtype, _rowShape, chunk.Data.ToByteArray(), chunk.Last);
    }

    private void Start(TensorChunk chunk)
    {
        if (chunk.Offset != 0)
        {
            throw new InvalidDataException($"Tensor '{chunk.Name}': first chunk at offset {chunk.Offset}.");
        }
        if (chunk.Shape.Count == 0 || chunk.Shape[0] != 0)
        {
            throw new InvalidDataException($"Tensor '{chunk.Name}': a streamed tensor's first chunk has shape [0, ...], got [{string.Join(", ", chunk.Shape)}].");
        }
        _name = chunk.Name;
        _dtype = chunk.Dtype;
        _rowShape = [.. chunk.Shape.Skip(1)];
        try
        {
            _rowBytes = TensorShapes.ByteCount(_dtype, _rowShape);
        }
        catch (Exception invalid) when (invalid is ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"Tensor '{chunk.Name}': dtype {chunk.Dtype} [{string.Join(", ", chunk.Shape)}] is not a tensor this stage takes ({invalid.Message})");
        }
        if (_rowBytes == 0)
        {
            throw new InvalidDataException($"Tensor '{chunk.Name}': rows of shape [{string.Join(", ", _rowShape)}] are empty.");
        }
    }
}
