using Google.Protobuf;
using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.DiffusionStage.IntegrationTests;

/// <summary>Input a stage cannot decode is INVALID_ARGUMENT naming what is wrong, never UNKNOWN or INTERNAL, and the stage keeps serving.</summary>
[Collection(DiffusionStageCollection.Name)]
public sealed class UndecodableInputTests(DiffusionStageFixture fixture)
{
    public static TheoryData<string> BadChunks => ["dtype-99", "dtype-unspecified", "negative-dimension", "overflowing-shape", "nan"];

    [Theory]
    [MemberData(nameof(BadChunks))]
    public async Task Process_UndecodableChunk_InvalidArgumentNamingTheTensor(string fault)
    {
        var chunk = new TensorChunk { Name = StageCall.HiddenStates, Dtype = DataType.Float32, Offset = 0, Last = true };
        chunk.Shape.AddRange([1, StageCall.Width]);
        var data = new float[StageCall.Width];
        switch (fault)
        {
            case "dtype-99": chunk.Dtype = (DataType)99; break;
            case "dtype-unspecified": chunk.Dtype = DataType.Unspecified; break;
            case "negative-dimension": chunk.Shape[0] = -1; break;
            case "overflowing-shape": chunk.Shape[0] = long.MaxValue / 2; break;
            case "nan": data[17] = float.NaN; break;
        }
        chunk.Data = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        chunk.TotalBytes = (ulong)chunk.Data.Length;

        var error = await Assert.ThrowsAsync<RpcException>(() => SendAsync(new StageInput { Chunk = chunk }.ToByteArray()));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains($"'{StageCall.HiddenStates}'", error.Status.Detail);
        await StageCall.RunAsync(fixture.Client, StageCall.Header(StageCall.Small(steps: 1)), [StageCall.Tensor(StageCall.HiddenStates, 2, seed: 3)]);
    }

    [Fact]
    public async Task Process_GarbageMessage_InvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => SendAsync([0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    /// <summary>A valid header, then <paramref name="second"/> as the raw bytes of the next StageInput.</summary>
    private async Task SendAsync(byte[] second)
    {
        var raw = new Method<byte[], byte[]>(MethodType.DuplexStreaming, "omni.v1.Stage", "Process",
            Marshallers.Create(bytes => bytes, bytes => bytes), Marshallers.Create(bytes => bytes, bytes => bytes));
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(fixture.Service.GrpcAddress);
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(raw, null, new CallOptions());
        var header = StageCall.Header(StageCall.Small(steps: 1));
        await call.RequestStream.WriteAsync(new StageInput { Header = header }.ToByteArray());
        await call.RequestStream.WriteAsync(second);
        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
        }
    }
}
