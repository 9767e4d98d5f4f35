using System.Threading.Channels;
using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.Tests.Support;

/// <summary>A fake stage's Process: the header, then its input stream; it writes outputs and returns (or throws a status).</summary>
public delegate Task StageHandler(StageRequest header, IAsyncStreamReader<StageInput> input, IServerStreamWriter<StageOutput> output,
    CancellationToken cancellationToken);

/// <summary>
/// Serves Stage.Process in memory, with gRPC's client-side behaviour where the runner depends on it: a handler's
/// RpcException ends the response stream with its status, cancelling the call cancels the handler and fails reads
/// with CANCELLED, and writes after the call ended fail.
/// </summary>
/// <param name="onEnded">Told each call's final status once its handler has returned, thrown, or never started (cancelled first).</param>
public sealed class InMemoryStageInvoker(StageHandler handler, Action<Status>? onEnded = null) : CallInvoker
{
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
        string? host, CallOptions options)
    {
        var call = new Call(handler, options.CancellationToken, onEnded);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>((IClientStreamWriter<TRequest>)(object)call.Requests,
            (IAsyncStreamReader<TResponse>)(object)call.Responses, Task.FromResult(new Metadata()), () => call.Status, () => [], call.Cancel);
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException();

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options,
        TRequest request) => throw new NotSupportedException();

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host,
        CallOptions options, TRequest request) => throw new NotSupportedException();

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
        string? host, CallOptions options) => throw new NotSupportedException();

    private sealed class Call
    {
        private readonly Channel<StageInput> _requests = Channel.CreateUnbounded<StageInput>();
        private readonly Channel<StageOutput> _responses = Channel.CreateUnbounded<StageOutput>();
        private readonly CancellationTokenSource _cancel;
        private volatile bool _ended;

        private readonly Action<Status>? _onEnded;

        public Call(StageHandler handler, CancellationToken callToken, Action<Status>? onEnded)
        {
            _onEnded = onEnded;
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(callToken);
            Requests = new RequestWriter(this);
            Responses = new ResponseReader(this, callToken);
            _ = Task.Run(() => ServeAsync(handler));
        }

        public RequestWriter Requests { get; }

        public ResponseReader Responses { get; }

        public Status Status { get; private set; }

        public void Cancel() => _cancel.Cancel();

        private async Task ServeAsync(StageHandler handler)
        {
            var token = _cancel.Token;
            try
            {
                var input = new InputReader(_requests.Reader);
                if (!await input.MoveNext(token) || input.Current.KindCase != StageInput.KindOneofCase.Header)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "header must be the first message"));
                }
                await handler(input.Current.Header, input, new OutputWriter(_responses.Writer), token);
                Status = Status.DefaultSuccess;
                _responses.Writer.TryComplete();
            }
            catch (RpcException error)
            {
                End(error.Status);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                End(new Status(StatusCode.Cancelled, "Call canceled by the client."));
            }
            catch (Exception error)
            {
                End(new Status(StatusCode.Unknown, error.Message));
            }
            finally
            {
                _ended = true;
                _onEnded?.Invoke(Status);
            }
        }

        private void End(Status status)
        {
            Status = status;
            _responses.Writer.TryComplete(new RpcException(status));
        }

        public sealed class RequestWriter(Call call) : IClientStreamWriter<StageInput>
        {
            public WriteOptions? WriteOptions { get; set; }

            public Task CompleteAsync()
            {
                call._requests.Writer.TryComplete();
                return Task.CompletedTask;
            }

            public Task WriteAsync(StageInput message, CancellationToken cancellationToken) => WriteAsync(message);

            public Task WriteAsync(StageInput message)
            {
                if (call._ended)
                {
                    throw new RpcException(call.Status);
                }
                return call._requests.Writer.TryWrite(message) ? Task.CompletedTask : throw new InvalidOperationException("The request stream is complete.");
            }
        }

        public sealed class ResponseReader(Call call, CancellationToken callToken) : IAsyncStreamReader<StageOutput>
        {
            public StageOutput Current { get; private set; } = null!;

            public async Task<bool> MoveNext(CancellationToken cancellationToken)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, callToken);
                try
                {
                    if (!await call._responses.Reader.WaitToReadAsync(linked.Token))
                    {
                        return false;
                    }
                }
                catch (OperationCanceledException) when (linked.IsCancellationRequested)
                {
                    call.Cancel();
                    throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
                }
                Current = await call._responses.Reader.ReadAsync(CancellationToken.None);
                return true;
            }
        }
    }

    private sealed class InputReader(ChannelReader<StageInput> reader) : IAsyncStreamReader<StageInput>
    {
        public StageInput Current { get; private set; } = null!;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await reader.WaitToReadAsync(cancellationToken))
            {
                return false;
            }
            Current = await reader.ReadAsync(cancellationToken);
            return true;
        }
    }

    private sealed class OutputWriter(ChannelWriter<StageOutput> writer) : IServerStreamWriter<StageOutput>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(StageOutput message) => writer.WriteAsync(message).AsTask();
    }
}
