using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Omni.Contracts.V1;
using Omni.Orchestrator.Admission;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Pipeline;
using Omni.Orchestrator.Tests.Support;
using static Omni.Orchestrator.Tests.Support.TestGraphs;

namespace Omni.Orchestrator.Tests;

/// <summary>
/// What the handler does with requests that never run: the status the client gets and how the failure metric counts
/// them, with one slot in flight held by a request whose stage waits until it is cancelled.
/// </summary>
public sealed class GenerateHandlerTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly RecordingObserver _observer = new();
    private readonly CancellationTokenSource _holder = new();
    private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _held;

    [Fact]
    public async Task HandleAsync_ClientCancelsWhileQueued_CancelledAndCountedAsClientCancelled()
    {
        var handler = await HandlerWithItsSlotHeldAsync(maxWaiting: 4);
        using var client = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var error = await Assert.ThrowsAsync<RpcException>(() => handler.HandleAsync(Text(), new ClientRecorder(), null, client.Token));

        Assert.Equal((StatusCode.Cancelled, "ClientCancelled", 0), (error.StatusCode, Failures(), _observer.Finished.Count));
    }

    [Fact]
    public async Task HandleAsync_DeadlinePassesWhileQueued_DeadlineExceededAndCountedAsDeadlineExceeded()
    {
        var handler = await HandlerWithItsSlotHeldAsync(maxWaiting: 4);
        var deadline = DateTime.UtcNow.AddMilliseconds(100);
        using var client = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var error = await Assert.ThrowsAsync<RpcException>(() => handler.HandleAsync(Text(), new ClientRecorder(), deadline, client.Token));

        Assert.Equal((StatusCode.DeadlineExceeded, "DeadlineExceeded"), (error.StatusCode, Failures()));
    }

    [Fact]
    public async Task HandleAsync_OutputThePipelineDoesNotProduceWhileFull_InvalidArgumentNamingOutputs()
    {
        var handler = await HandlerWithItsSlotHeldAsync(maxWaiting: 0);
        var request = Text();
        request.Outputs.Add(Modality.Audio);

        var error = await Assert.ThrowsAsync<RpcException>(() => handler.HandleAsync(request, new ClientRecorder(), null, CancellationToken.None));

        Assert.Equal((StatusCode.InvalidArgument, "outputs", "InvalidArgument"),
            (error.StatusCode, error.Status.Detail.Split(' ')[0], Failures()));
    }

    [Fact]
    public async Task HandleAsync_StageTimesOutWithoutAClientDeadline_ItsWordsAndCountedAsAStageError()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new PipelineOptions());
        var stages = new FakeStages().Add("t", (_, _, _, _) =>
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "The call's input made no progress for 600 s.")));
        var runner = new GraphRunner(Build(Stage("t", 0, ["text"], ["text"])), stages, _observer);
        var handler = new GenerateHandler(new AdmissionController(options), runner, _observer, options, NullLogger<GenerateHandler>.Instance);

        var error = await Assert.ThrowsAsync<RpcException>(() => handler.HandleAsync(Text(), new ClientRecorder(), null, CancellationToken.None));

        Assert.Equal((StatusCode.DeadlineExceeded, "A stage timed out: The call's input made no progress for 600 s.", "StageError"),
            (error.StatusCode, error.Status.Detail, Failures()));
    }

    public async ValueTask DisposeAsync()
    {
        await _holder.CancelAsync();
        if (_held is not null)
        {
            await Assert.ThrowsAsync<RpcException>(() => _held).WaitAsync(Patience);
        }
        _holder.Dispose();
    }

    private static GenerateRequest Text() => new() { Prompt = "a prompt" };

    // The held request's own failure comes at disposal, after the assertions.
    private string Failures()
    {
        lock (_observer.Failures)
        {
            return string.Join(",", _observer.Failures);
        }
    }

    private async Task<GenerateHandler> HandlerWithItsSlotHeldAsync(int maxWaiting)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new PipelineOptions { MaxInflight = 1, MaxWaiting = maxWaiting });
        var stages = new FakeStages().Add("t", async (_, _, _, token) =>
        {
            _holding.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        });
        var runner = new GraphRunner(Build(Stage("t", 0, ["text"], ["text"])), stages, _observer);
        var handler = new GenerateHandler(new AdmissionController(options), runner, _observer, options, NullLogger<GenerateHandler>.Instance);
        _held = handler.HandleAsync(Text(), new ClientRecorder(), null, _holder.Token);
        await _holding.Task.WaitAsync(Patience);
        return handler;
    }
}
