using System.Buffers.Binary;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Omni.Common.Hosting;

/// <summary>
/// Decodes the single request message of the named unary and server-streaming methods before gRPC does, so that a
/// request that is not a valid message (garbage, truncated, invalid UTF-8 in a string) gets INVALID_ARGUMENT naming
/// the problem: gRPC decodes such a request before any handler or interceptor runs and would answer UNKNOWN. The
/// body is one length-prefixed message, at most the configured message size, buffered once and handed on as is.
/// Streaming requests are decoded inside the handlers, where <see cref="ExceptionStatusInterceptor"/> maps the failure.
/// </summary>
public static class GrpcRequestDecoding
{
    public static IApplicationBuilder UseGrpcRequestDecoding(this IApplicationBuilder app, IReadOnlyDictionary<string, MessageParser> parsers,
        int maxMessageBytes, Action<Grpc.Core.StatusCode>? onRejected = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(parsers);
        // Routing matches the method's path in any case: so does this lookup.
        var byPath = new Dictionary<string, MessageParser>(parsers, StringComparer.OrdinalIgnoreCase);
        return app.Use(async (context, next) =>
        {
            if (!byPath.TryGetValue(context.Request.Path.Value ?? "", out var parser) || Compressed(context.Request))
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            var limit = maxMessageBytes + 5L;
            // gRPC lifts Kestrel's body limit (30 MB) for its own requests, but only after this middleware has read the body.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = limit;
            }
            context.Request.EnableBuffering(bufferThreshold: 1 << 20, bufferLimit: limit);
            using var buffer = new MemoryStream();
            try
            {
                await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception tooLarge) when (tooLarge is IOException or BadHttpRequestException && !context.RequestAborted.IsCancellationRequested)
            {
                onRejected?.Invoke(Grpc.Core.StatusCode.ResourceExhausted);
                GrpcStatusResponse.Write(context, Grpc.Core.StatusCode.ResourceExhausted,
                    $"request: larger than the largest message this server receives ({maxMessageBytes} bytes)");
                return;
            }
            context.Request.Body.Position = 0;
            var problem = Problem(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), parser);
            if (problem is null)
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            onRejected?.Invoke(Grpc.Core.StatusCode.InvalidArgument);
            GrpcStatusResponse.Write(context, Grpc.Core.StatusCode.InvalidArgument, $"request: not a valid message ({problem})");
        });
    }

    private static bool Compressed(HttpRequest request) =>
        request.Headers.TryGetValue("grpc-encoding", out var encoding) && encoding != "identity";

    private static string? Problem(ReadOnlySpan<byte> body, MessageParser parser)
    {
        if (body.Length < 5)
        {
            return "the body holds no complete message frame";
        }
        if (body[0] != 0)
        {
            return "the message is flagged compressed without a grpc-encoding";
        }
        var length = BinaryPrimitives.ReadUInt32BigEndian(body[1..5]);
        if (length != body.Length - 5)
        {
            return $"the frame announces {length} bytes, {body.Length - 5} follow";
        }
        try
        {
            parser.ParseFrom(body[5..]);
            return null;
        }
        catch (InvalidProtocolBufferException invalid)
        {
            return invalid.Message;
        }
    }
}
