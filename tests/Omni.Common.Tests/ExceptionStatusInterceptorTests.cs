using Grpc.Core;
using Microsoft.Extensions.Logging;
using Omni.Common.Hosting;

namespace Omni.Common.Tests;

public sealed class ExceptionStatusInterceptorTests
{
    [Fact]
    public async Task DuplexHandler_UnexpectedException_InternalNamingTheErrorIdLoggedOnceWithTheRequest()
    {
        var logger = new RecordingLogger();
        var context = new CallContext();
        ExceptionStatusInterceptor.SetRequestId(context, "req-7");

        var error = await Assert.ThrowsAsync<RpcException>(() => new ExceptionStatusInterceptor(logger).DuplexStreamingServerHandler<string, string>(
            null!, null!, context, (_, _, _) => throw new InvalidOperationException("CUDA error: out of memory")));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        var match = System.Text.RegularExpressions.Regex.Match(error.Status.Detail, "^Internal error ([0-9a-f]{12}): InvalidOperationException: CUDA error: out of memory$");
        Assert.True(match.Success, error.Status.Detail);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal((LogLevel.Error, $"Error {match.Groups[1].Value}: /omni.v1.Stage/Process failed unexpectedly for request req-7"), (entry.Level, entry.Message));
    }

    [Fact]
    public async Task UnaryHandler_RpcException_PassesUnchangedWithoutLogging()
    {
        var logger = new RecordingLogger();

        var error = await Assert.ThrowsAsync<RpcException>(() => new ExceptionStatusInterceptor(logger).UnaryServerHandler<string, string>(
            "", new CallContext(), (_, _) => throw new RpcException(new Status(StatusCode.InvalidArgument, "prompt must not be empty."))));

        Assert.Equal((StatusCode.InvalidArgument, "prompt must not be empty."), (error.StatusCode, error.Status.Detail));
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public async Task ServerStreamingHandler_CancelledCall_CancelledWithoutLogging()
    {
        var logger = new RecordingLogger();
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => new ExceptionStatusInterceptor(logger).ServerStreamingServerHandler<string, string>(
            "", null!, new CallContext(cancellation.Token), (_, _, _) => throw new OperationCanceledException()));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public async Task DuplexHandler_ArgumentException_InvalidArgumentWithTheEngineMessage()
    {
        var logger = new RecordingLogger();

        var error = await Assert.ThrowsAsync<RpcException>(() => new ExceptionStatusInterceptor(logger).DuplexStreamingServerHandler<string, string>(
            null!, null!, new CallContext(), (_, _, _) => throw new ArgumentException("The prompt (900 tokens) and max_tokens (200) need more than the KV cache's 1024 token slots.")));

        Assert.Equal((StatusCode.InvalidArgument, "The prompt (900 tokens) and max_tokens (200) need more than the KV cache's 1024 token slots."),
            (error.StatusCode, error.Status.Detail));
        Assert.Empty(logger.Entries);
    }

    [Fact]
    public async Task DuplexHandler_QueueFull_ResourceExhausted()
    {
        var logger = new RecordingLogger();

        var error = await Assert.ThrowsAsync<RpcException>(() => new ExceptionStatusInterceptor(logger).DuplexStreamingServerHandler<string, string>(
            null!, null!, new CallContext(), (_, _, _) => throw new Omni.Common.Engine.QueueFullException(3)));

        Assert.Equal((StatusCode.ResourceExhausted, "The engine queue is full (3 waiting)."), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task DuplexHandler_FailureAfterTheDeadline_DeadlineExceeded()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => new ExceptionStatusInterceptor(new RecordingLogger()).DuplexStreamingServerHandler<string, string>(
            null!, null!, new CallContext(cancellation.Token, DateTime.UtcNow.AddSeconds(-1)), (_, _, _) => throw new OperationCanceledException()));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    private sealed class RecordingLogger : ILogger<ExceptionStatusInterceptor>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }

    private sealed class CallContext(CancellationToken cancellationToken = default, DateTime? deadline = null) : ServerCallContext
    {
        private readonly Dictionary<object, object> _userState = [];

        protected override string MethodCore => "/omni.v1.Stage/Process";
        protected override string HostCore => "127.0.0.1";
        protected override string PeerCore => "ipv4:127.0.0.1:1";
        protected override DateTime DeadlineCore => deadline ?? DateTime.MaxValue;
        protected override Metadata RequestHeadersCore => [];
        protected override CancellationToken CancellationTokenCore => cancellationToken;
        protected override Metadata ResponseTrailersCore => [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore => new(null, []);
        protected override IDictionary<object, object> UserStateCore => _userState;

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
