using System.Diagnostics;
using System.Globalization;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Opentelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace Omni.Testing;

/// <summary>
/// An in-process OTLP/gRPC trace receiver (the collector's TraceService over h2c) on a free 127.0.0.1 port, recording
/// every span exported to it.
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<ReceivedSpan> _spans = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _app;

    private OtlpTraceReceiver()
    {
    }

    /// <summary>"http://127.0.0.1:PORT", for an OTLP exporter's gRPC endpoint.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>A snapshot of the spans received so far, in arrival order.</summary>
    public IReadOnlyList<ReceivedSpan> Spans
    {
        get
        {
            lock (_gate)
            {
                return _spans.ToArray();
            }
        }
    }

    public static async Task<OtlpTraceReceiver> StartAsync()
    {
        var receiver = new OtlpTraceReceiver();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new TraceServiceHandler(receiver));
        var app = builder.Build();
        app.MapGrpcService<TraceServiceHandler>();
        await app.StartAsync();
        receiver._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>()
            .Addresses.Single();
        receiver.Endpoint = $"http://127.0.0.1:{new Uri(address).Port}";
        return receiver;
    }

    /// <summary>
    /// Waits until <paramref name="done"/> holds for the spans received so far and returns them; throws a
    /// <see cref="TimeoutException"/> naming the spans received when it does not within <paramref name="timeout"/>.
    /// </summary>
    public async Task<IReadOnlyList<ReceivedSpan>> WaitForSpansAsync(Func<IReadOnlyList<ReceivedSpan>, bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            IReadOnlyList<ReceivedSpan> snapshot;
            Task changed;
            lock (_gate)
            {
                snapshot = _spans.ToArray();
                changed = _changed.Task;
            }
            if (done(snapshot))
            {
                return snapshot;
            }
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, Task.Delay(left)) != changed)
            {
                throw new TimeoutException(
                    $"The expected spans did not arrive within {timeout}; received {snapshot.Count}: " +
                    $"[{string.Join(", ", snapshot.Select(span => span.Name))}].");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private void Record(IEnumerable<ReceivedSpan> spans)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _spans.AddRange(spans);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.SetResult();
    }

    private static IEnumerable<ReceivedSpan> ToReceivedSpans(ExportTraceServiceRequest request)
    {
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resourceAttributes = ToDictionary(resourceSpans.Resource?.Attributes ?? []);
            var serviceName = resourceAttributes.GetValueOrDefault("service.name", "");
            foreach (var span in resourceSpans.ScopeSpans.SelectMany(scope => scope.Spans))
            {
                yield return new ReceivedSpan(
                    serviceName,
                    ToHex(span.TraceId),
                    ToHex(span.SpanId),
                    ToHex(span.ParentSpanId),
                    span.Name,
                    span.Kind.ToString(),
                    FromUnixNanoseconds(span.StartTimeUnixNano),
                    FromUnixNanoseconds(span.EndTimeUnixNano),
                    ToDictionary(span.Attributes),
                    resourceAttributes);
            }
        }
    }

    private static Dictionary<string, string> ToDictionary(IEnumerable<KeyValue> attributes)
    {
        var dictionary = new Dictionary<string, string>();
        foreach (var attribute in attributes)
        {
            dictionary[attribute.Key] = Render(attribute.Value);
        }
        return dictionary;
    }

    private static string Render(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.BytesValue => ToHex(value.BytesValue),
        // Arrays and key-value lists: their protobuf JSON form.
        AnyValue.ValueOneofCase.ArrayValue or AnyValue.ValueOneofCase.KvlistValue => value.ToString(),
        _ => "",
    };

    private static string ToHex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);

    private static DateTimeOffset FromUnixNanoseconds(ulong nanoseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks((long)(nanoseconds / 100));

    private sealed class TraceServiceHandler(OtlpTraceReceiver receiver) : TraceService.TraceServiceBase
    {
        public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
        {
            receiver.Record(ToReceivedSpans(request));
            return Task.FromResult(new ExportTraceServiceResponse());
        }
    }
}
