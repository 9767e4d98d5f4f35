using System.Diagnostics;
using Omni.Common.Tracing;
using Omni.Contracts.V1;
using Omni.Orchestrator.Configuration;

namespace Omni.Orchestrator.Pipeline;

/// <summary>
/// The chunk hops of one request's edge: what the orchestrator saw (relay), what the sender and the receiver
/// reported of the edge's tensors. Merged per chunk index, observed once per chunk, and summed into the client's
/// transfer report.
/// </summary>
/// <param name="transferId">The direct connector's transfer id; none for relay.</param>
public sealed class TransferLedger(int fromStage, int toStage, Connector connector, IReadOnlyCollection<string> tensors, string? transferId = null)
{
    private readonly List<ChunkTiming> _chunks = [];
    private long _firstArrival;
    private long _lastForwarded;
    private double? _sendDurationMs;
    private long _senderReported;

    public string? TransferId => transferId;

    /// <summary>
    /// Relay: one chunk passed through the orchestrator, arriving from the sender at <paramref name="arrived"/> and
    /// handed to the receiver's stream at <paramref name="forwarded"/> (Stopwatch timestamps).
    /// </summary>
    public void AddRelayed(string tensor, ulong bytes, long arrived, long forwarded)
    {
        if (_chunks.Count == 0)
        {
            _firstArrival = arrived;
        }
        _lastForwarded = forwarded;
        _chunks.Add(new ChunkTiming { Tensor = tensor, Bytes = bytes, InFlightMs = Stopwatch.GetElapsedTime(arrived, forwarded).TotalMilliseconds });
    }

    /// <summary>Merges the sender's relay report: per chunk of the edge's tensors, tx.</summary>
    public void MergeSent(StageFinal sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        MergeSent(Of(sender.SentChunks));
    }

    /// <summary>Merges the sender's report of a direct push: per chunk tx, rx and in-flight, and the payload's duration.</summary>
    public void MergeDirect(DirectSend sent)
    {
        ArgumentNullException.ThrowIfNull(sent);
        _sendDurationMs = sent.DurationMs;
        _senderReported = Stopwatch.GetTimestamp();
        MergeSent(sent.Chunks);
    }

    private void MergeSent(IReadOnlyList<ChunkTiming> sent) => Merge(sent, (target, source) =>
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
    public void MergeReceived(IReadOnlyList<ChunkTiming> received) => Merge(Of(received), (target, source) =>
    {
        if (source.HasRxDecodeMs)
        {
            target.RxDecodeMs = source.RxDecodeMs;
        }
    });

    public void Observe(IPipelineObserver observer, uint fromReplica, uint toReplica)
    {
        ArgumentNullException.ThrowIfNull(observer);
        foreach (var chunk in _chunks)
        {
            observer.OnTransferChunk(fromStage, fromReplica, toStage, toReplica, chunk);
        }
    }

    public TransferReport Report(uint fromReplica, uint toReplica) => new()
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
        DurationMs = DurationMs(),
    };

    /// <summary>
    /// Direct: the sender's own measure, first write to last acknowledgement. Relay, on this clock: the first chunk's
    /// arrival to the last chunk's forward, widened by the sender's write of the first chunk and the receiver's
    /// decode of the last, which happen on the stages' clocks.
    /// </summary>
    private double DurationMs()
    {
        if (_chunks.Count == 0)
        {
            return 0;
        }
        if (connector == Connector.Direct)
        {
            return _sendDurationMs ?? 0;
        }
        return _chunks[0].TxMs + Stopwatch.GetElapsedTime(_firstArrival, _lastForwarded).TotalMilliseconds + _chunks[^1].RxDecodeMs;
    }

    /// <summary>
    /// The edge's span under the request's, as long as <paramref name="report"/>'s duration says, ending when this
    /// process last heard of the payload: the sender's report (direct) or the last chunk's forward and decode (relay).
    /// </summary>
    public void Trace(TransferReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var end = connector == Connector.Direct ? _senderReported : _lastForwarded;
        if (_chunks.Count == 0 || end == 0)
        {
            return;
        }
        var now = DateTime.UtcNow;
        var endedAgo = Stopwatch.GetElapsedTime(end) - TimeSpan.FromMilliseconds(connector == Connector.Direct ? 0 : _chunks[^1].RxDecodeMs);
        var endUtc = endedAgo > TimeSpan.Zero ? now - endedAgo : now;
        using var span = OmniTrace.RecordInterval("omni.transfer", endUtc - TimeSpan.FromMilliseconds(report.DurationMs), endUtc);
        span?.SetTag(OmniTrace.Connector, report.Connector)
            .SetTag(OmniTrace.FromStage, report.FromStage)
            .SetTag(OmniTrace.ToStage, report.ToStage)
            .SetTag(OmniTrace.Bytes, (long)report.Bytes)
            .SetTag(OmniTrace.Chunks, (int)report.Chunks)
            .SetTag(OmniTrace.TransferId, transferId);
    }

    private List<ChunkTiming> Of(IEnumerable<ChunkTiming> chunks) => [.. chunks.Where(chunk => tensors.Contains(chunk.Tensor))];

    // A direct edge's two reports come from the two stages' calls, which may finish at the same time.
    private void Merge(IReadOnlyList<ChunkTiming> reported, Action<ChunkTiming, ChunkTiming> apply)
    {
        lock (_chunks)
        {
            for (var i = 0; i < reported.Count; i++)
            {
                if (i == _chunks.Count)
                {
                    _chunks.Add(new ChunkTiming { Tensor = reported[i].Tensor, Bytes = reported[i].Bytes });
                }
                apply(_chunks[i], reported[i]);
            }
        }
    }
}
