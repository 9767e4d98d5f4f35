using System.Diagnostics;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>The receiving side of the direct connector, shared by every stage that can be downstream.</summary>
public static class DirectTransferEndpoint
{
    /// <summary>Serves Stage.PushTransfer: hands each pushed chunk to the consuming request and streams its acknowledgements back.</summary>
    public static async Task HandlePushAsync(TransferRegistry registry, IAsyncStreamReader<TransferMessage> requests,
        IServerStreamWriter<TransferAck> responses, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requests.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        var transferId = requests.Current.TransferId;
        if (string.IsNullOrEmpty(transferId))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "transfer_id must be set on the first message."));
        }
        var transfer = registry.GetOrAdd(transferId);
        if (!transfer.AttachProducer())
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"Transfer {transferId} is already being pushed."));
        }
        // The push ends when its consumer fails or never comes, not only when the pushing side gives up.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, transfer.Failed);
        cancellationToken = linked.Token;
        var acknowledgements = PumpAcknowledgementsAsync(transfer, responses, cancellationToken);
        try
        {
            await transfer.ChunkWriter.WriteAsync(ChunkOf(requests.Current), cancellationToken).ConfigureAwait(false);
            while (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                await transfer.ChunkWriter.WriteAsync(ChunkOf(requests.Current), cancellationToken).ConfigureAwait(false);
            }
            transfer.ChunkWriter.TryComplete();
            await acknowledgements.ConfigureAwait(false);
        }
        catch (Exception error)
        {
            transfer.Fail(error);
            registry.Remove(transferId);
            await acknowledgements.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            throw error switch
            {
                RpcException => error,
                _ when transfer.Error is TimeoutException timeout =>
                    new RpcException(new Status(StatusCode.DeadlineExceeded, timeout.Message)),
                _ => new RpcException(new Status(StatusCode.Cancelled, $"Transfer {transferId} ended: {error.Message}")),
            };
        }
    }

    /// <summary>
    /// The consuming request's side: yields each chunk of the transfer and acknowledges it once
    /// <paramref name="decode"/> (which returns the decode time in milliseconds) has placed it.
    /// </summary>
    public static async IAsyncEnumerable<TensorChunk> ConsumeAsync(TransferRegistry registry, string transferId, Func<TensorChunk, double> decode,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var transfer = registry.GetOrAdd(transferId);
        if (!transfer.AttachConsumer())
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"Transfer {transferId} already has a consumer."));
        }
        using var cancelled = cancellationToken.Register(() => transfer.Fail(new OperationCanceledException("The consuming request was cancelled.")));
        ulong index = 0;
        var completed = false;
        try
        {
            await foreach (var chunk in transfer.Chunks.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var decodeMs = decode(chunk);
                transfer.AckWriter.TryWrite(new TransferAck { ChunkIndex = index++, RxDecodeMs = decodeMs });
                yield return chunk;
            }
            transfer.AckWriter.TryComplete();
            completed = true;
        }
        finally
        {
            if (!completed)
            {
                // The consumer rejected the data or went away: the push must end now, not when its own deadline comes.
                transfer.Fail(new OperationCanceledException("The consuming request ended before the transfer was complete."));
            }
            registry.Remove(transferId);
        }
    }

    private static TensorChunk ChunkOf(TransferMessage message) =>
        message.Chunk ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "chunk: every push message must carry one."));

    private static async Task PumpAcknowledgementsAsync(IncomingTransfer transfer, IServerStreamWriter<TransferAck> responses,
        CancellationToken cancellationToken)
    {
        await foreach (var ack in transfer.Acks.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await responses.WriteAsync(ack, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
