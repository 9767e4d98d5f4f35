using System.Runtime.InteropServices;
using Google.Protobuf;
using Omni.Common.Payloads;
using Omni.Contracts.V1;

namespace Omni.Common.Tests;

public sealed class StreamedTensorTests
{
    private static byte[] Ints(params int[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    [Fact]
    public void WriterThenAssembler_RowsInOrder_SameRowsOut()
    {
        var writer = new StreamedTensorWriter("codes", DataType.Int32, []);
        var assembler = new StreamedTensorAssembler(1024);

        var rows = new[] { writer.Next(Ints(1, 2, 3)), writer.Next(Ints(4)), writer.Finish(Ints(5, 6)) }.Select(assembler.Add).ToList();

        Assert.Equal([3L, 1L, 2L], rows.Select(chunk => chunk.Rows));
        Assert.Equal(Ints(1, 2, 3, 4, 5, 6), rows.SelectMany(chunk => chunk.Data).ToArray());
        Assert.Equal([false, false, true], rows.Select(chunk => chunk.Last));
        Assert.True(assembler.IsComplete);
        Assert.Equal(6, assembler.Rows);
    }

    [Fact]
    public void Writer_FirstChunk_CarriesDtypeAndShapeWithZeroRows()
    {
        var writer = new StreamedTensorWriter("states", DataType.Float32, [4]);

        var first = writer.Next(new byte[32]);
        var second = writer.Finish();

        Assert.Equal([0L, 4L], first.Shape);
        Assert.Equal((DataType.Float32, 0ul, true), (first.Dtype, first.Offset, first.Streamed));
        Assert.Equal((32ul, 0, true, true), (second.Offset, second.Data.Length, second.Last, second.Streamed));
        Assert.Empty(second.Shape);
    }

    [Fact]
    public void Writer_PartialRow_Throws()
    {
        var writer = new StreamedTensorWriter("states", DataType.Float32, [4]);

        Assert.Throws<ArgumentException>(() => writer.Next(new byte[12]));
    }

    [Fact]
    public void Assembler_ChunkNotStreamed_Refused()
    {
        var chunk = new StreamedTensorWriter("codes", DataType.Int32, []).Finish(Ints(1));
        chunk.Streamed = false;

        var error = Assert.Throws<InvalidDataException>(() => new StreamedTensorAssembler(1024).Add(chunk));

        Assert.Contains("must be streamed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assembler_FirstShapeNotZeroRows_Refused()
    {
        var chunk = new StreamedTensorWriter("codes", DataType.Int32, []).Finish(Ints(1));
        chunk.Shape[0] = 1;

        Assert.Throws<InvalidDataException>(() => new StreamedTensorAssembler(1024).Add(chunk));
    }

    [Fact]
    public void Assembler_PartialRows_Refused()
    {
        var chunk = new StreamedTensorWriter("codes", DataType.Int32, []).Finish(Ints(1));
        chunk.Data = ByteString.CopyFrom(new byte[6]);

        var error = Assert.Throws<InvalidDataException>(() => new StreamedTensorAssembler(1024).Add(chunk));

        Assert.Contains("whole rows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assembler_GapInOffsets_Refused()
    {
        var writer = new StreamedTensorWriter("codes", DataType.Int32, []);
        var assembler = new StreamedTensorAssembler(1024);
        assembler.Add(writer.Next(Ints(1)));
        writer.Next(Ints(2));

        var error = Assert.Throws<InvalidDataException>(() => assembler.Add(writer.Next(Ints(3))));

        Assert.Contains("expected 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assembler_BeyondTheLimit_Refused()
    {
        var writer = new StreamedTensorWriter("codes", DataType.Int32, []);
        var assembler = new StreamedTensorAssembler(8);
        assembler.Add(writer.Next(Ints(1, 2)));

        Assert.Throws<InvalidDataException>(() => assembler.Add(writer.Next(Ints(3))));
    }

    [Fact]
    public void Assembler_ChunkAfterTheLast_Refused()
    {
        var writer = new StreamedTensorWriter("codes", DataType.Int32, []);
        var assembler = new StreamedTensorAssembler(1024);
        var last = writer.Finish(Ints(1));
        assembler.Add(last);

        Assert.Throws<InvalidDataException>(() => assembler.Add(last));
    }
}
