using Omni.Contracts.V1;
using Omni.Orchestrator.Configuration;

namespace Omni.Orchestrator.Pipeline;

/// <summary>
/// The chunk hops of one request's edge: what the orchestrator saw (relay), what the sender and the receiver
/// reported. Merged per chunk index, observed once per chunk, and summed into the client's transfer report.
/// </summary>
public sealed class TransferLedger(int fromStage, uint fromReplica, int toStage, uint toReplica, Connector connector)
{
    private readonly List<ChunkTiming> _chunks = [];

    /// <summary>Relay: one chunk passed through the orchestrator, held for <paramref name="inFlightMs"/>.</summary>
    public void AddRelayed(ulong bytes, double inFlightMs) => _chunks.Add(new ChunkTiming { Bytes = bytes, InFlightMs = inFlightMs });

    /// <summary>Merges the sender's per-chunk report (tx; for direct transfers also rx and in-flight).</summary>
    public void MergeSent(IReadOnlyList<ChunkTiming> sent) => Merge(sent, (target, source) =>
    {
        if (source.HasTxMs)
        {
            target.TxMs = source.TxMs;
        }
        if (source.HasRxDecodeMs)
        {
            target.RxDecodeMs = source.RxDecodeMs;
        }
        if (source.HasInFlightMs && !target.HasInFlightMs)
        {
            target.InFlightMs = source.InFlightMs;
        }
    });

    /// <summary>Merges the receiver's per-chunk report (rx).</summary>
    public void MergeReceived(IReadOnlyList<ChunkTiming> received) => Merge(received, (target, source) =>
    {
        if (source.HasRxDecodeMs)
        {
            target.RxDecodeMs = source.RxDecodeMs;
        }
    });

    public void Observe(IPipelineObserver observer)
    {
        foreach (var chunk in _chunks)
        {
            observer.OnTransferChunk(fromStage, fromReplica, toStage, toReplica, chunk);
        }
    }

    public TransferReport Report() => new()
    {
        FromStage = (uint)fromStage,
        FromReplica = fromReplica,
        ToStage = (uint)toStage,
        ToReplica = toReplica,
        Connector = connector == Connector.Direct ? "direct" : "relay",
        Chunks = (uint)_chunks.Count,
        Bytes = (ulong)_chunks.Sum(chunk => (long)chunk.Bytes),
        TxMs = _chunks.Sum(chunk => chunk.TxMs),
        RxDecodeMs = _chunks.Sum(chunk => chunk.RxDecodeMs),
        InFlightMs = _chunks.Sum(chunk => chunk.InFlightMs),
    };

    private void Merge(IReadOnlyList<ChunkTiming> reported, Action<ChunkTiming, ChunkTiming> apply)
    {
        for (var i = 0; i < reported.Count; i++)
        {
            if (i == _chunks.Count)
            {
                _chunks.Add(new ChunkTiming { Bytes = reported[i].Bytes });
            }
            apply(_chunks[i], reported[i]);
        }
    }
}
