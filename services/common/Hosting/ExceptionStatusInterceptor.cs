using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Omni.Common.Engine;

namespace Omni.Common.Hosting;

/// <summary>
/// The one place where exceptions become gRPC statuses, for every stage and the orchestrator: a bad argument
/// (an engine's <see cref="ArgumentException"/>, e.g. a prompt too long for the KV cache, whose message names the
/// limit) is INVALID_ARGUMENT, a full engine queue RESOURCE_EXHAUSTED, a timeout (an unpaired transfer) DEADLINE_EXCEEDED, a streamed
/// message that does not decode INVALID_ARGUMENT, anything thrown once the call was cancelled
/// CANCELLED or, past its deadline, DEADLINE_EXCEEDED. Anything else is a failure nobody anticipated (an engine bug,
/// a device error): it is logged once with an error id, the method and the request id, and the client gets
/// INTERNAL naming that id, never gRPC's UNKNOWN. An <see cref="RpcException"/> keeps its status.
/// </summary>
public sealed partial class ExceptionStatusInterceptor(ILogger<ExceptionStatusInterceptor> logger) : Interceptor
{
    private const string RequestIdKey = "omni.request_id";

    /// <summary>Names the request a call serves, for the log line of a failure.</summary>
    public static void SetRequestId(ServerCallContext context, string requestId)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.UserState[RequestIdKey] = requestId;
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, context) is { } status)
        {
            throw status;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, context) is { } status)
        {
            throw status;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, context) is { } status)
        {
            throw status;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, context) is { } status)
        {
            throw status;
        }
    }

    /// <summary>Null for an RpcException (it already carries its status, and is rethrown as it is).</summary>
    private RpcException? Translate(Exception exception, ServerCallContext context)
    {
        if (exception is RpcException)
        {
            return null;
        }
        if (context.CancellationToken.IsCancellationRequested)
        {
            return context.Deadline <= DateTime.UtcNow
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, "The request deadline expired."))
                : new RpcException(new Status(StatusCode.Cancelled, "The request was cancelled."));
        }
        switch (exception)
        {
            case QueueFullException full:
                return new RpcException(new Status(StatusCode.ResourceExhausted, full.Message));
            case ArgumentException argument:
                return new RpcException(new Status(StatusCode.InvalidArgument, argument.Message));
            case Google.Protobuf.InvalidProtocolBufferException invalid:
                return new RpcException(new Status(StatusCode.InvalidArgument, $"A message is not valid: {invalid.Message}"));
            case TimeoutException timeout:
                return new RpcException(new Status(StatusCode.DeadlineExceeded, timeout.Message));
        }
        var errorId = Guid.NewGuid().ToString("N")[..12];
        var requestId = context.UserState.TryGetValue(RequestIdKey, out var id) ? id as string : null;
        LogUnexpected(exception, errorId, context.Method, requestId ?? "-");
        return new RpcException(new Status(StatusCode.Internal, $"Internal error {errorId}: {exception.GetType().Name}: {exception.Message}"));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Error {ErrorId}: {Method} failed unexpectedly for request {RequestId}")]
    private partial void LogUnexpected(Exception exception, string errorId, string method, string requestId);
}
