using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Omni.Common.Hosting;

/// <summary>
/// The last step of every service's exception-to-status mapping. The services map what they expect (bad input,
/// full queues, cancellation) to a status themselves; an exception that still escapes a handler is a failure nobody
/// anticipated (an engine bug, a device error): it is logged once, with the method and the request id, and the
/// client gets INTERNAL with its message instead of gRPC's UNKNOWN. A cancelled call's exception becomes CANCELLED.
/// </summary>
public sealed partial class UnexpectedFailureInterceptor(ILogger<UnexpectedFailureInterceptor> logger) : Interceptor
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
        if (exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            return new RpcException(new Status(StatusCode.Cancelled, "The request was cancelled."));
        }
        var requestId = context.UserState.TryGetValue(RequestIdKey, out var id) ? id as string : null;
        LogUnexpected(exception, context.Method, requestId ?? "-");
        return new RpcException(new Status(StatusCode.Internal, $"{exception.GetType().Name}: {exception.Message}"));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} failed unexpectedly for request {RequestId}")]
    private partial void LogUnexpected(Exception exception, string method, string requestId);
}
