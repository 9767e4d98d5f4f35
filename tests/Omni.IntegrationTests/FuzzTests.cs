using Google.Protobuf;
using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.IntegrationTests;

/// <summary>
/// Mutated public requests (bytes flipped, cut, inserted, or random): whatever arrives, the answer is a clear status,
/// never UNKNOWN or INTERNAL, nothing hangs, and the orchestrator keeps serving. Mutations that decode into a request
/// with heavy work are not sent: this fuzzes decoding and validation, not generation.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class FuzzTests(PipelineFixture fixture)
{
    private static readonly Method<byte[], byte[]> RawGenerate = new(MethodType.ServerStreaming, "omni.v1.Omni", "Generate",
        Marshallers.Create(bytes => bytes, bytes => bytes), Marshallers.Create(bytes => bytes, bytes => bytes));

    [Fact]
    public async Task Generate_TwoHundredMutatedRequests_NeverUnknownOrInternal()
    {
        var random = new Random(20261130);
        var valid = Requests.Both(maxTokens: 2).ToByteArray();
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(fixture.Pipeline.Orchestrator.GrpcAddress);
        var invoker = channel.CreateCallInvoker();
        var sent = 0;
        for (var i = 0; i < 200; i++)
        {
            var bytes = Mutate(valid, random);
            if (Heavy(bytes))
            {
                continue;
            }
            sent++;
            var code = StatusCode.OK;
            try
            {
                using var call = invoker.AsyncServerStreamingCall(RawGenerate, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(20)), bytes);
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                }
            }
            catch (RpcException error)
            {
                code = error.StatusCode;
            }
            Assert.True(code is not (StatusCode.Unknown or StatusCode.Internal or StatusCode.DeadlineExceeded),
                $"mutation {i} ({Convert.ToHexString(bytes)}) got {code}");
        }

        Assert.True(sent > 100, $"only {sent} mutations were light enough to send");
        Assert.Equal(2, (await fixture.Client.GenerateAsync(Requests.Text(maxTokens: 2))).TokenIds.Count);
    }

    /// <summary>One of: flip a few bytes, cut the tail, insert random bytes, or all random bytes.</summary>
    public static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = valid.ToList();
        switch (random.Next(4))
        {
            case 0:
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                }
                break;
            case 1:
                bytes = bytes.Take(random.Next(bytes.Count)).ToList();
                break;
            case 2:
                bytes.InsertRange(random.Next(bytes.Count), Enumerable.Range(0, random.Next(1, 8)).Select(_ => (byte)random.Next(256)));
                break;
            default:
                bytes = Enumerable.Range(0, random.Next(1, 64)).Select(_ => (byte)random.Next(256)).ToList();
                break;
        }
        return [.. bytes];
    }

    /// <summary>A mutation that decodes into a request whose generation would take long (more tokens, pixels, steps or images).</summary>
    private static bool Heavy(byte[] bytes)
    {
        GenerateRequest request;
        try
        {
            request = GenerateRequest.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
        var tokens = request.Text?.MaxTokens ?? 0;
        if (tokens is 0 or > 8)
        {
            return true; // 0 means the default, 64 tokens
        }
        if (!request.Outputs.Contains(Modality.Image))
        {
            return false;
        }
        var image = request.Image;
        return image is null || image.Width == 0 || image.Height == 0 || (long)image.Width * image.Height > 128 * 128
            || image.NumInferenceSteps is 0 or > 4 || image.NumImages > 1;
    }
}
