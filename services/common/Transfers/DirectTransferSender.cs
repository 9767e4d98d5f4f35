using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Omni.Common.Hosting;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>
/// The sending side of the direct connector: pushes tensor chunks straight to the downstream replica the
/// orchestrator bound, keeping at most max_chunks_in_flight unacknowledged. Per chunk it measures, on this
/// process's clock: tx = the write call (serialize + submit to the transport); in-flight = submit done to the
/// acknowledgement's arrival, less the receiver's own decode time that the acknowledgement reports.
/// </summary>
public sealed class DirectTransferSender(PeerChannels peers) : IDisposable
{
    public const int DefaultMaxChunksInFlight = 8;

    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);

    /// <summary>Pushes <paramref name="chunks"/> as they come (a streamed tensor's chunks come while it is produced).</summary>
    public async Task<DirectSend> SendAsync(DirectTarget target, IAsyncEnumerable<TensorChunk> chunks, DateTime? deadline,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(chunks);
        var client = new Stage.StageClient(Channel(target.Address));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var call = client.PushTransfer(deadline: deadline, cancellationToken: linked.Token);
        var limit = (int)(target.MaxChunksInFlight == 0 ? DefaultMaxChunksInFlight : target.MaxChunksInFlight);
        using var window = new SemaphoreSlim(limit, limit);
        var timings = new List<ChunkTiming>();
        var submitted = new List<long>();
        var acked = new ConcurrentDictionary<int, (long At, double DecodeMs)>();
        long? first = null;
        var acknowledgements = Task.Run(async () =>
        {
            await foreach (var ack in call.ResponseStream.ReadAllAsync(linked.Token).ConfigureAwait(false))
            {
                acked[(int)ack.ChunkIndex] = (Stopwatch.GetTimestamp(), ack.RxDecodeMs);
                window.Release();
            }
        }, CancellationToken.None);

        try
        {
            await foreach (var chunk in chunks.WithCancellation(linked.Token).ConfigureAwait(false))
            {
                await window.WaitAsync(linked.Token).ConfigureAwait(false);
                var message = new TransferMessage { Chunk = chunk };
                if (first is null)
                {
                    message.TransferId = target.TransferId;
                }
                var start = Stopwatch.GetTimestamp();
                first ??= start;
                await call.RequestStream.WriteAsync(message, linked.Token).ConfigureAwait(false);
                var done = Stopwatch.GetTimestamp();
                timings.Add(new ChunkTiming { Tensor = chunk.Name, Bytes = (ulong)chunk.Data.Length, TxMs = DirectTransferEndpoint.Milliseconds(start, done) });
                submitted.Add(done);
            }
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await acknowledgements.ConfigureAwait(false);
        }
        catch
        {
            await linked.CancelAsync().ConfigureAwait(false);
            await acknowledgements.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }

        if (acked.Count != timings.Count)
        {
            throw new RpcException(new Status(StatusCode.DataLoss,
                $"Transfer {target.TransferId}: {acked.Count} of {timings.Count} chunks acknowledged."));
        }
        long lastAck = 0;
        for (var i = 0; i < timings.Count; i++)
        {
            var (at, decodeMs) = acked[i];
            timings[i].RxDecodeMs = decodeMs;
            timings[i].InFlightMs = Math.Max(0, DirectTransferEndpoint.Milliseconds(submitted[i], at) - decodeMs);
            lastAck = Math.Max(lastAck, at);
        }
        var sent = new DirectSend
        {
            TransferId = target.TransferId,
            DurationMs = first is { } began ? DirectTransferEndpoint.Milliseconds(began, lastAck) : 0,
        };
        sent.Chunks.AddRange(timings);
        return sent;
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }

    private GrpcChannel Channel(string address) => _channels.GetOrAdd(address, peers.Create);
}
