using System.Threading.Channels;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>
/// One direct transfer on the receiving side: chunks pushed by the upstream stage flow to the request that
/// consumes them, acknowledgements flow back. Either side failing or cancelling completes both with that error and
/// ends the other side's call.
/// </summary>
public sealed class IncomingTransfer(string id, int capacity) : IDisposable
{
    private readonly Channel<TensorChunk> _chunks = Channel.CreateBounded<TensorChunk>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Channel<TransferAck> _acks = Channel.CreateUnbounded<TransferAck>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _failed = new();
    private int _consumerAttached;
    private int _producerAttached;

    public string Id { get; } = id;

    public DateTime CreatedUtc { get; } = DateTime.UtcNow;

    public ChannelReader<TensorChunk> Chunks => _chunks.Reader;

    public ChannelWriter<TensorChunk> ChunkWriter => _chunks.Writer;

    public ChannelReader<TransferAck> Acks => _acks.Reader;

    public ChannelWriter<TransferAck> AckWriter => _acks.Writer;

    /// <summary>Cancelled when the transfer failed, so that the side still waiting on its own call stops too.</summary>
    public CancellationToken Failed => _failed.Token;

    /// <summary>Both the push and the consuming request have arrived.</summary>
    public bool Paired => Volatile.Read(ref _consumerAttached) == 1 && Volatile.Read(ref _producerAttached) == 1;

    /// <summary>The consuming request has arrived (it then waits for the push as long as its input idle timeout allows).</summary>
    public bool ConsumerAttached => Volatile.Read(ref _consumerAttached) == 1;

    /// <summary>False when another request already consumes this transfer.</summary>
    public bool AttachConsumer() => Interlocked.Exchange(ref _consumerAttached, 1) == 0;

    /// <summary>False when another stream already pushes this transfer.</summary>
    public bool AttachProducer() => Interlocked.Exchange(ref _producerAttached, 1) == 0;

    /// <summary>Why the transfer failed, once it has.</summary>
    public Exception? Error { get; private set; }

    public void Fail(Exception error)
    {
        Error ??= error;
        _chunks.Writer.TryComplete(error);
        _acks.Writer.TryComplete(error);
        try
        {
            _failed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    public void Dispose() => _failed.Dispose();
}
