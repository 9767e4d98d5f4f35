using System.Buffers;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Omni.Contracts.V1;

namespace Omni.Common.Payloads;

/// <summary>
/// Splits one tensor into <see cref="TensorChunk"/> messages under the gRPC message limit. Chunks wrap slices of
/// the caller's buffer (no copy); the buffer must stay unchanged until the chunks are written.
/// </summary>
public static class TensorChunker
{
    /// <summary>1 MiB: far under the default 4 MiB gRPC limit, large enough that per-message cost is noise.</summary>
    public const int DefaultChunkBytes = 1 << 20;

    public static IEnumerable<TensorChunk> Chunk(string name, DataType dtype, IReadOnlyList<long> shape, ReadOnlyMemory<byte> data,
        int chunkBytes = DefaultChunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        var expected = TensorShapes.ByteCount(dtype, shape);
        if (expected != data.Length)
        {
            throw new ArgumentException($"Tensor '{name}' has {data.Length} bytes but its shape [{string.Join(", ", shape)}] of {dtype} needs {expected}.");
        }
        var offset = 0;
        do
        {
            var length = Math.Min(chunkBytes, data.Length - offset);
            var chunk = new TensorChunk
            {
                Name = name,
                Offset = (ulong)offset,
                TotalBytes = (ulong)data.Length,
                Data = UnsafeByteOperations.UnsafeWrap(data.Slice(offset, length)),
                Last = offset + length == data.Length,
            };
            if (offset == 0)
            {
                chunk.Dtype = dtype;
                chunk.Shape.AddRange(shape);
            }
            offset += length;
            yield return chunk;
        }
        while (offset < data.Length);
    }

    /// <summary>Chunks a float32 tensor without copying it to a byte array.</summary>
    public static IEnumerable<TensorChunk> ChunkFloat32(string name, float[] values, IReadOnlyList<long> shape, int chunkBytes = DefaultChunkBytes) =>
        Chunk(name, DataType.Float32, shape, new CastMemoryManager<float>(values).Memory, chunkBytes);

    /// <summary>Views a blittable array as bytes (little-endian on every platform .NET runs Omni on).</summary>
    private sealed class CastMemoryManager<T>(T[] array) : MemoryManager<byte>
        where T : unmanaged
    {
        private GCHandle _handle;

        public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(array.AsSpan());

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            if (!_handle.IsAllocated)
            {
                _handle = GCHandle.Alloc(array, GCHandleType.Pinned);
            }
            var pointer = (byte*)_handle.AddrOfPinnedObject() + elementIndex;
            return new MemoryHandle(pointer, default, this);
        }

        public override void Unpin()
        {
            if (_handle.IsAllocated)
            {
                _handle.Free();
            }
        }

        protected override void Dispose(bool disposing) => Unpin();
    }
}
