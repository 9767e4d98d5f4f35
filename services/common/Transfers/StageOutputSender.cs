using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>
/// A stage's output tensors, handed on as the header asks: those named in its outputs are written on the response
/// stream for the orchestrator to relay; those named by a forward_to target are pushed straight to that replica
/// (direct). A tensor may go both ways, and to several targets, at once. Returns each chunk's timings for the final.
/// </summary>
public static class StageOutputSender
{
    public static Task<SentTensors> SendAsync(StageRequest header, IReadOnlyList<TensorChunk> chunks,
        IServerStreamWriter<StageOutput> responseStream, DirectTransferSender sender, DateTime? deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        return SendAsync(header, chunks.ToAsyncEnumerable(), responseStream, sender, deadline, cancellationToken);
    }

    /// <summary>
    /// Hands chunks on as they come: a streamed tensor's chunks reach the orchestrator and the direct targets while
    /// the stage still produces the next. A push that fails ends the sending at its next chunk.
    /// </summary>
    public static async Task<SentTensors> SendAsync(StageRequest header, IAsyncEnumerable<TensorChunk> chunks,
        IServerStreamWriter<StageOutput> responseStream, DirectTransferSender sender, DateTime? deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(sender);
        var targets = header.ForwardTo
            .Select(target => (Target: target, Queue: Channel.CreateUnbounded<TensorChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true })))
            .ToList();
        var pushes = targets
            .Select(target => sender.SendAsync(target.Target, target.Queue.Reader.ReadAllAsync(cancellationToken), deadline, cancellationToken))
            .ToList();
        var relayed = new List<ChunkTiming>();
        try
        {
            await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (pushes.FirstOrDefault(push => push.IsFaulted || push.IsCanceled) is { } failed)
                {
                    await failed.ConfigureAwait(false);
                }
                foreach (var (target, queue) in targets)
                {
                    if (target.Tensors.Contains(chunk.Name))
                    {
                        queue.Writer.TryWrite(chunk);
                    }
                }
                if (header.Outputs.Contains(chunk.Name))
                {
                    var start = Stopwatch.GetTimestamp();
                    await responseStream.WriteAsync(new StageOutput { Chunk = chunk }, cancellationToken).ConfigureAwait(false);
                    relayed.Add(new ChunkTiming { Tensor = chunk.Name, Bytes = (ulong)chunk.Data.Length, TxMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds });
                }
            }
            foreach (var (_, queue) in targets)
            {
                queue.Writer.TryComplete();
            }
        }
        catch (Exception error)
        {
            foreach (var (_, queue) in targets)
            {
                queue.Writer.TryComplete(error);
            }
            throw;
        }
        finally
        {
            // A failed relay write must not leave pushes running unobserved.
            await Task.WhenAll(pushes.Select(push => push.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        }
        var direct = new List<DirectSend>(pushes.Count);
        foreach (var push in pushes)
        {
            direct.Add(await push.ConfigureAwait(false));
        }
        return new SentTensors(relayed, direct);
    }

    /// <summary>Serves Stage.WatchLoad from the replica's load reporter until the watcher goes away.</summary>
    public static async Task WatchLoadAsync(LoadReporter reporter, IServerStreamWriter<LoadReport> responseStream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentNullException.ThrowIfNull(responseStream);
        try
        {
            await foreach (var report in reporter.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(report, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The watcher left.
        }
    }
}
