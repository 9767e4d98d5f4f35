using Grpc.Core;
using Microsoft.Extensions.Logging;
using Omni.Common.Hosting;

namespace Omni.Common.Tests;

public sealed class UnexpectedFailureInterceptorTests
{
    [Fact]
    public async Task DuplexHandler_UnexpectedException_InternalWithTheMessageAndOneErrorLogNamingTheRequest()
    {
        var logger = new RecordingLogger();
        var context = new CallContext();
        UnexpectedFailureInterceptor.SetRequestId(context, "req-7");

        var error = await Assert.ThrowsAsync<RpcException>(() => new UnexpectedFailureInterceptor(logger).DuplexStreamingServerHandler<string, string>(
            null!, null!, context, (_, _, _) => throw new InvalidOperationException("CUDA error: out of memory")));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Equal("InvalidOperationException: CUDA error: out of memory", error.Status.Detail);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal((LogLevel.Error, "/omni.v1.Stage/Process failed unexpectedly for request req-7"), (entry.Level, entry.Message));
    }

    [Fact]
    public async Task UnaryHandler_RpcException_PassesUnchangedWithoutLogging()
    {
        var logger = new RecordingLogger();

        var error = await Assert.ThrowsAsync<RpcException>(() => new UnexpectedFailureInterceptor(logger).UnaryServerHandler<string, string>(
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

        var error = await Assert.ThrowsAsync<RpcException>(() => new UnexpectedFailureInterceptor(logger).ServerStreamingServerHandler<string, string>(
            "", null!, new CallContext(cancellation.Token), (_, _, _) => throw new OperationCanceledException()));

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Empty(logger.Entries);
    }

    private sealed class RecordingLogger : ILogger<UnexpectedFailureInterceptor>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }

    private sealed class CallContext(CancellationToken cancellationToken = default) : ServerCallContext
    {
        private readonly Dictionary<object, object> _userState = [];

        protected override string MethodCore => "/omni.v1.Stage/Process";
        protected override string HostCore => "127.0.0.1";
        protected override string PeerCore => "ipv4:127.0.0.1:1";
        protected override DateTime DeadlineCore => DateTime.MaxValue;
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
