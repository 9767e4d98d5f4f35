using System.Diagnostics;
using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>
/// An upstream stage's output tensors: written on its response stream for the orchestrator to relay, or pushed
/// straight to the downstream replica the header names (direct). Returns each chunk's timings for the final.
/// </summary>
public static class StageOutputSender
{
    public static async Task<SentPayload> SendAsync(StageRequest header, IEnumerable<TensorChunk> chunks,
        IServerStreamWriter<StageOutput> responseStream, DirectTransferSender sender, DateTime? deadline, CancellationToken cancellationToken)
    {
        if (header.ForwardTo is { Address.Length: > 0 } target)
        {
            return await sender.SendAsync(target, chunks, deadline, cancellationToken).ConfigureAwait(false);
        }
        var timings = new List<ChunkTiming>();
        long? first = null;
        foreach (var chunk in chunks)
        {
            var start = Stopwatch.GetTimestamp();
            first ??= start;
            await responseStream.WriteAsync(new StageOutput { Chunk = chunk }, cancellationToken).ConfigureAwait(false);
            timings.Add(new ChunkTiming { Bytes = (ulong)chunk.Data.Length, TxMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds });
        }
        return new SentPayload(timings, first is { } began ? Stopwatch.GetElapsedTime(began).TotalMilliseconds : 0);
    }

    /// <summary>Serves Stage.WatchLoad from the replica's load reporter until the watcher goes away.</summary>
    public static async Task WatchLoadAsync(LoadReporter reporter, IServerStreamWriter<LoadReport> responseStream, CancellationToken cancellationToken)
    {
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
