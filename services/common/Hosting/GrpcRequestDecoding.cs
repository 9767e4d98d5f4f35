using System.Buffers.Binary;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

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
        int maxMessageBytes, Action<string>? onRejected = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(parsers);
        return app.Use(async (context, next) =>
        {
            if (!parsers.TryGetValue(context.Request.Path.Value ?? "", out var parser) || Compressed(context.Request))
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            context.Request.EnableBuffering(bufferThreshold: 1 << 20, bufferLimit: maxMessageBytes + 5L);
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            context.Request.Body.Position = 0;
            var problem = Problem(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), parser);
            if (problem is null)
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            onRejected?.Invoke(context.Request.Path.Value!);
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
