using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.Pipeline.Connectors;

/// <summary>
/// The request stream of one stage call, shared by the relay edges into it: writes are serialized, and the stream
/// completes once every relay edge has delivered its whole payload (at once when the call has none). Writes wait
/// for the call to open; if it fails to open, they fail.
/// </summary>
public sealed class StageInputWriter(int relayInputs)
{
    private readonly TaskCompletionSource<IClientStreamWriter<StageInput>> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _hasRelayInputs = relayInputs > 0;
    private int _pending = relayInputs;

    /// <summary>The call opened and its header is written.</summary>
    public async Task AttachAsync(IClientStreamWriter<StageInput> stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream.TrySetResult(stream);
        if (!_hasRelayInputs)
        {
            await stream.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The call could not open: writers fail with the same error.</summary>
    public void Fail(Exception error) => _stream.TrySetException(error);

    public async Task WriteAsync(TensorChunk chunk, CancellationToken cancellationToken)
    {
        var stream = await _stream.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(new StageInput { Chunk = chunk }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            throw new EdgeWriteException(error);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>One relay edge delivered its whole payload.</summary>
    public async Task CompleteInputAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _pending) != 0)
        {
            return;
        }
        var stream = await _stream.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await stream.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>Writing to a downstream stage failed: a consequence of that stage's call ending, whose own error is the cause.</summary>
public sealed class EdgeWriteException(Exception inner) : Exception($"Writing to a downstream stage failed: {inner.Message}", inner);
