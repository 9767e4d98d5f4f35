using Google.Protobuf;
using Omni.Contracts.V1;

namespace Omni.Common.Payloads;

/// <summary>
/// Makes the chunks of one streamed tensor as its rows are produced: each call's rows become one chunk, the first
/// with dtype and shape [0, row shape...], and <see cref="Finish"/> the last one (with the remaining rows, or none).
/// </summary>
public sealed class StreamedTensorWriter(string name, DataType dtype, IReadOnlyList<long> rowShape)
{
    private readonly long _rowBytes = TensorShapes.ByteCount(dtype, rowShape);
    private long _offset;
    private bool _started;

    public bool Finished { get; private set; }

    /// <summary>A chunk holding <paramref name="rows"/> (whole rows); <paramref name="last"/> ends the tensor.</summary>
    public TensorChunk Next(ReadOnlyMemory<byte> rows, bool last = false)
    {
        if (Finished)
        {
            throw new InvalidOperationException($"Tensor '{name}' is finished.");
        }
        if (rows.Length % _rowBytes != 0)
        {
            throw new ArgumentException($"Tensor '{name}': {rows.Length} bytes are not whole rows of {_rowBytes} bytes.", nameof(rows));
        }
        var chunk = new TensorChunk { Name = name, Streamed = true, Offset = (ulong)_offset, Data = ByteString.CopyFrom(rows.Span), Last = last };
        if (!_started)
        {
            chunk.Dtype = dtype;
            chunk.Shape.Add(0);
            chunk.Shape.AddRange(rowShape);
            _started = true;
        }
        _offset += rows.Length;
        Finished = last;
        return chunk;
    }

    /// <summary>The last chunk, with <paramref name="rows"/> (possibly none).</summary>
    public TensorChunk Finish(ReadOnlyMemory<byte> rows = default) => Next(rows, last: true);
}
