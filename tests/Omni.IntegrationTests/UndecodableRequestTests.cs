using Google.Protobuf;
using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.IntegrationTests;

/// <summary>A request that is not a valid message is INVALID_ARGUMENT and counted, never UNKNOWN, and the orchestrator keeps serving.</summary>
[Collection(PipelineCollection.Name)]
public sealed class UndecodableRequestTests(PipelineFixture fixture)
{
    private static readonly HttpClient Http = new();

    public static TheoryData<string, byte[]> Bodies => new()
    {
        { "garbage", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] },
        // Field 1 (prompt) announcing 10 bytes, 3 follow.
        { "truncated", [0x0A, 0x0A, 0x61, 0x62, 0x63] },
        // Field 1 (prompt) with the invalid UTF-8 sequence C3 28.
        { "invalid-utf8", [0x0A, 0x02, 0xC3, 0x28] },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Generate_UndecodableRequest_InvalidArgumentCountedAndStillServing(string name, byte[] body)
    {
        var before = FailedInvalid(await Http.GetStringAsync(fixture.Pipeline.Orchestrator.MetricsAddress));
        var raw = new Method<byte[], byte[]>(MethodType.ServerStreaming, "omni.v1.Omni", "Generate",
            Marshallers.Create(bytes => bytes, bytes => bytes), Marshallers.Create(bytes => bytes, bytes => bytes));
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(fixture.Pipeline.Orchestrator.GrpcAddress);

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(raw, null, new CallOptions(), body);
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });

        Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{name}: {error.Status}");
        Assert.StartsWith("request: not a valid message", error.Status.Detail);
        Assert.Equal(before + 1, FailedInvalid(await Http.GetStringAsync(fixture.Pipeline.Orchestrator.MetricsAddress)));
        Assert.Equal(4, (await fixture.Client.GenerateAsync(Requests.Text(maxTokens: 4))).TokenIds.Count);
    }

    [Fact]
    public async Task Generate_LargerThanTheMessageLimit_ResourceExhaustedCountedAsRejectedAndStillServing()
    {
        var before = Failed(await Http.GetStringAsync(fixture.Pipeline.Orchestrator.MetricsAddress), "rejected");
        var raw = new Method<byte[], byte[]>(MethodType.ServerStreaming, "omni.v1.Omni", "Generate",
            Marshallers.Create(bytes => bytes, bytes => bytes), Marshallers.Create(bytes => bytes, bytes => bytes));
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(fixture.Pipeline.Orchestrator.GrpcAddress);
        var body = new GenerateRequest { Prompt = new string('a', 17 << 20) }.ToByteArray();

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(raw, null, new CallOptions(), body);
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(before + 1, Failed(await Http.GetStringAsync(fixture.Pipeline.Orchestrator.MetricsAddress), "rejected"));
        Assert.Equal(4, (await fixture.Client.GenerateAsync(Requests.Text(maxTokens: 4))).TokenIds.Count);
    }

    private static double FailedInvalid(string exposition) => Failed(exposition, "invalid_argument");

    private static double Failed(string exposition, string reason) => exposition.Split('\n')
        .Where(line => line.StartsWith("vllm:omni_requests_failed_total{", StringComparison.Ordinal) && line.Contains($"reason=\"{reason}\"", StringComparison.Ordinal))
        .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
