using Google.Protobuf;
using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.DiffusionStage.IntegrationTests;

/// <summary>
/// Mutated tensor-chunk messages after a valid header (bytes flipped, cut, inserted, or random): a clear status or an
/// image for each, never UNKNOWN or INTERNAL, nothing hangs, and the process's memory stays bounded.
/// </summary>
[Collection(DiffusionStageCollection.Name)]
public sealed class FuzzTests(DiffusionStageFixture fixture)
{
    private static readonly Method<byte[], byte[]> RawProcess = new(MethodType.DuplexStreaming, "omni.v1.Stage", "Process",
        Marshallers.Create(bytes => bytes, bytes => bytes), Marshallers.Create(bytes => bytes, bytes => bytes));

    [Fact]
    public async Task Process_OneHundredFiftyMutatedChunks_NeverUnknownOrInternalAndMemoryBounded()
    {
        var random = new Random(4242);
        var (name, values, tokens) = StageCall.Tensor(StageCall.HiddenStates, 2, seed: 1);
        var valid = new StageInput { Chunk = Common.Payloads.TensorChunker.ChunkFloat32(name, values, [tokens, StageCall.Width]).Single() }.ToByteArray();
        var header = new StageInput { Header = StageCall.Header(StageCall.Small(steps: 1)) }.ToByteArray();
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(fixture.Service.GrpcAddress);
        var invoker = channel.CreateCallInvoker();
        await SendAsync(invoker, header, valid);
        var rssBefore = RssMegabytes(fixture.Service.ProcessId);

        for (var i = 0; i < 150; i++)
        {
            var mutated = Mutate(valid, random);
            var code = await SendAsync(invoker, header, mutated);
            Assert.True(code is not (StatusCode.Unknown or StatusCode.Internal or StatusCode.DeadlineExceeded),
                $"mutation {i} got {code}");
        }

        Assert.InRange(RssMegabytes(fixture.Service.ProcessId), 0, rssBefore + 256);
        await StageCall.RunAsync(fixture.Client, StageCall.Header(StageCall.Small(steps: 1)), [StageCall.Tensor(StageCall.HiddenStates, 2, seed: 3)]);
    }

    private static async Task<StatusCode> SendAsync(CallInvoker invoker, byte[] header, byte[] chunk)
    {
        try
        {
            using var call = invoker.AsyncDuplexStreamingCall(RawProcess, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20)));
            await call.RequestStream.WriteAsync(header);
            await call.RequestStream.WriteAsync(chunk);
            await call.RequestStream.CompleteAsync();
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
            return StatusCode.OK;
        }
        catch (RpcException error)
        {
            return error.StatusCode;
        }
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = valid.ToList();
        switch (random.Next(4))
        {
            case 0:
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    // Mostly in the framing and metadata at the front, where decoding decisions are made.
                    bytes[random.Next(Math.Min(bytes.Count, random.Next(2) == 0 ? 48 : bytes.Count))] = (byte)random.Next(256);
                }
                break;
            case 1:
                bytes = bytes.Take(random.Next(bytes.Count)).ToList();
                break;
            case 2:
                bytes.InsertRange(random.Next(48), Enumerable.Range(0, random.Next(1, 8)).Select(_ => (byte)random.Next(256)));
                break;
            default:
                bytes = Enumerable.Range(0, random.Next(1, 96)).Select(_ => (byte)random.Next(256)).ToList();
                break;
        }
        return [.. bytes];
    }

    private static double RssMegabytes(int pid) =>
        double.Parse(File.ReadLines($"/proc/{pid}/status").First(line => line.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
}
