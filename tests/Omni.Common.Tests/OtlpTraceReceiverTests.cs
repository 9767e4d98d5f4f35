using Google.Protobuf;
using Grpc.Net.Client;
using Omni.Testing;
using Opentelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace Omni.Common.Tests;

public sealed class OtlpTraceReceiverTests
{
    [Fact]
    public async Task Export_OneSpan_ReceiverRecordsItsIdsAndAttributes()
    {
        await using var receiver = await OtlpTraceReceiver.StartAsync();
        using var channel = GrpcChannel.ForAddress(receiver.Endpoint);
        var client = new TraceService.TraceServiceClient(channel);
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Convert.FromHexString("0af7651916cd43dd8448eb211c80319c")),
            SpanId = ByteString.CopyFrom(Convert.FromHexString("b7ad6b7169203331")),
            ParentSpanId = ByteString.CopyFrom(Convert.FromHexString("00f067aa0ba902b7")),
            Name = "omni.generate",
            Kind = Span.Types.SpanKind.Server,
            StartTimeUnixNano = 1_700_000_000_000_000_000,
            EndTimeUnixNano = 1_700_000_000_250_000_000,
            Attributes =
            {
                Attribute("omni.request_id", new AnyValue { StringValue = "req-1" }),
                Attribute("omni.tokens", new AnyValue { IntValue = 42 }),
                Attribute("omni.ratio", new AnyValue { DoubleValue = 0.5 }),
                Attribute("omni.streamed", new AnyValue { BoolValue = true }),
            },
        };
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new Resource { Attributes = { Attribute("service.name", new AnyValue { StringValue = "orchestrator" }) } },
                    ScopeSpans = { new ScopeSpans { Spans = { span } } },
                },
            },
        };

        await client.ExportAsync(request);
        var spans = await receiver.WaitForSpansAsync(received => received.Count == 1, TimeSpan.FromSeconds(10));

        var received = Assert.Single(spans);
        Assert.Equal("orchestrator", received.ServiceName);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", received.TraceId);
        Assert.Equal("b7ad6b7169203331", received.SpanId);
        Assert.Equal("00f067aa0ba902b7", received.ParentSpanId);
        Assert.Equal("omni.generate", received.Name);
        Assert.Equal("Server", received.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(250), received.End - received.Start);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["omni.request_id"] = "req-1", ["omni.tokens"] = "42", ["omni.ratio"] = "0.5", ["omni.streamed"] = "true",
            },
            received.Attributes);
        Assert.Equal("orchestrator", received.ResourceAttributes["service.name"]);
    }

    private static KeyValue Attribute(string key, AnyValue value) => new() { Key = key, Value = value };
}
