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
    private readonly ChunkSequence _sequence = new();
    private DataType _dtype;
    private long[] _rowShape = [];
    private long _rowBytes;

    public bool IsComplete => _sequence.IsComplete;

    /// <summary>Rows received so far.</summary>
    public long Rows => _rowBytes == 0 ? 0 : _sequence.Received / _rowBytes;

    /// <summary>Checks the next chunk and returns its rows; throws <see cref="InvalidDataException"/> for one that does not fit.</summary>
    public StreamedRows Add(TensorChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (!chunk.Streamed)
        {
            throw new InvalidDataException($"Tensor '{chunk.Name}' must be streamed (its rows sent as they are produced).");
        }
        if (_sequence.Accept(chunk))
        {
            Start(chunk);
        }
        var name = _sequence.Name!;
        var length = chunk.Data.Length;
        if (length % _rowBytes != 0)
        {
            throw new InvalidDataException($"Tensor '{name}': a chunk of {length} bytes is not whole rows of {_rowBytes} bytes.");
        }
        if (_sequence.Received + length > maxBytes)
        {
            throw new InvalidDataException($"Tensor '{name}': more than the limit of {maxBytes} bytes.");
        }
        _sequence.Advance(length, chunk.Last);
        return new StreamedRows(name, _dtype, _rowShape, chunk.Data.ToByteArray(), chunk.Last);
    }

    private void Start(TensorChunk chunk)
    {
        if (chunk.Shape.Count == 0 || chunk.Shape[0] != 0)
        {
            throw new InvalidDataException($"Tensor '{chunk.Name}': a streamed tensor's first chunk has shape [0, ...], got [{string.Join(", ", chunk.Shape)}].");
        }
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
