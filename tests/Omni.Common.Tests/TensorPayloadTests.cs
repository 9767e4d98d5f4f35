using Google.Protobuf;
using Omni.Common.Payloads;
using Omni.Contracts.V1;

namespace Omni.Common.Tests;

public sealed class TensorPayloadTests
{
    private static float[] Ramp(int count) => Enumerable.Range(0, count).Select(i => i * 0.5f - 3f).ToArray();

    [Fact]
    public void ChunkFloat32_LargeTensor_SplitsUnderChunkSize()
    {
        var chunks = TensorChunker.ChunkFloat32("h", Ramp(1000), [250, 4], chunkBytes: 1024).ToList();

        Assert.Equal(4, chunks.Count);
        Assert.All(chunks, chunk => Assert.True(chunk.Data.Length <= 1024));
        Assert.Equal([0ul, 1024ul, 2048ul, 3072ul], chunks.Select(chunk => chunk.Offset));
        Assert.Equal([false, false, false, true], chunks.Select(chunk => chunk.Last));
        Assert.Equal([250L, 4L], chunks[0].Shape);
        Assert.Empty(chunks[1].Shape);
    }

    [Fact]
    public void Assembler_ChunksInOrder_ReproducesFloats()
    {
        var values = Ramp(777);
        var assembler = new TensorAssembler(1 << 20);

        foreach (var chunk in TensorChunker.ChunkFloat32("h", values, [7, 111], chunkBytes: 100))
        {
            assembler.Add(chunk);
        }

        var tensor = assembler.Result();
        Assert.Equal(values, tensor.Float32!);
        Assert.Equal([7L, 111L], tensor.Shape);
        Assert.Equal(DataType.Float32, tensor.Dtype);
    }

    [Fact]
    public void Assembler_AfterSerialization_ReproducesBytesLittleEndian()
    {
        var assembler = new TensorAssembler(1 << 20);
        foreach (var chunk in TensorChunker.ChunkFloat32("h", [1f, -2f], [2]))
        {
            assembler.Add(TensorChunk.Parser.ParseFrom(chunk.ToByteArray()));
        }

        Assert.Equal(new[] { 1f, -2f }, assembler.Result().Float32!);
    }

    [Fact]
    public void Chunk_WireBytes_AreLittleEndianFloat32()
    {
        var chunk = TensorChunker.ChunkFloat32("h", [1f], [1]).Single();

        Assert.Equal(new byte[] { 0x00, 0x00, 0x80, 0x3f }, chunk.Data.ToByteArray());
    }

    [Fact]
    public void Assembler_MissingChunk_ThrowsNamingOffsets()
    {
        var chunks = TensorChunker.ChunkFloat32("h", Ramp(100), [100], chunkBytes: 64).ToList();
        var assembler = new TensorAssembler(1 << 20);
        assembler.Add(chunks[0]);

        var error = Assert.Throws<InvalidDataException>(() => assembler.Add(chunks[2]));

        Assert.Contains("offset 128, expected 64", error.Message);
    }

    [Fact]
    public void Assembler_TensorOverLimit_Throws()
    {
        var assembler = new TensorAssembler(100);

        var error = Assert.Throws<InvalidDataException>(() => assembler.Add(TensorChunker.ChunkFloat32("h", Ramp(100), [100]).First()));

        Assert.Contains("exceeds the limit", error.Message);
    }

    [Fact]
    public void Assembler_ShapeDisagreesWithTotal_Throws()
    {
        var chunk = new TensorChunk { Name = "h", Dtype = DataType.Float32, TotalBytes = 8, Data = ByteString.CopyFrom(new byte[8]), Last = true };
        chunk.Shape.Add(3);

        Assert.Throws<InvalidDataException>(() => new TensorAssembler(1 << 20).Add(chunk));
    }

    [Fact]
    public void Assembler_LaterChunkClaimsALargerTotal_ThrowsNamingTheTensor()
    {
        var first = new TensorChunk { Name = "h", Dtype = DataType.Float32, TotalBytes = 16, Data = ByteString.CopyFrom(new byte[8]) };
        first.Shape.Add(4);
        var overrun = new TensorChunk { Name = "h", Offset = 8, TotalBytes = 1000, Data = ByteString.CopyFrom(new byte[16]) };
        var assembler = new TensorAssembler(1 << 20);
        assembler.Add(first);

        var error = Assert.Throws<InvalidDataException>(() => assembler.Add(overrun));

        Assert.Equal("Tensor 'h': a chunk overruns the tensor's 16 bytes.", error.Message);
    }

    [Fact]
    public void Chunk_DataLengthDisagreesWithShape_Throws()
    {
        Assert.Throws<ArgumentException>(() => TensorChunker.Chunk("h", DataType.Float32, [3], new byte[8]).ToList());
    }

    [Fact]
    public void Assembler_EmptyTensor_CompletesWithOneChunk()
    {
        var assembler = new TensorAssembler(1 << 20);
        foreach (var chunk in TensorChunker.ChunkFloat32("h", [], [0, 4]))
        {
            assembler.Add(chunk);
        }

        Assert.Empty(assembler.Result().Float32!);
    }
}
