using System.Diagnostics;
using Omni.Contracts.V1;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Graph;

namespace Omni.Orchestrator.Pipeline.Connectors;

/// <summary>
/// The relay connector: chunks arrive on the upstream call's response stream and are written to the downstream
/// call's request stream, as they arrive (a partial-input edge) or all at once when the upstream finished.
/// </summary>
public sealed class RelayConnector(GraphEdge edge, StageInputWriter downstream) : IEdgeConnector
{
    private readonly List<(TensorChunk Chunk, long Arrived)> _held = [];

    public GraphEdge Edge => edge;

    public TransferLedger Ledger { get; } = new(edge.From.StageId, edge.To.StageId, Connector.Relay, edge.Tensors);

    public void Prepare(StageRequest upstream, StageRequest downstream, string downstreamAddress)
    {
    }

    public async Task OnChunkAsync(TensorChunk chunk, long arrived, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (edge.Partial)
        {
            await ForwardAsync(chunk, arrived, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _held.Add((chunk, arrived));
        }
    }

    public async Task OnUpstreamFinishedAsync(StageFinal final, CancellationToken cancellationToken)
    {
        foreach (var (chunk, arrived) in _held)
        {
            await ForwardAsync(chunk, arrived, cancellationToken).ConfigureAwait(false);
        }
        _held.Clear();
        Ledger.MergeSent(final);
        await downstream.CompleteInputAsync(cancellationToken).ConfigureAwait(false);
    }

    public void OnDownstreamFinished(StageFinal final)
    {
        ArgumentNullException.ThrowIfNull(final);
        Ledger.MergeReceived(final.ReceivedChunks);
    }

    private async Task ForwardAsync(TensorChunk chunk, long arrived, CancellationToken cancellationToken)
    {
        await downstream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        Ledger.AddRelayed(chunk.Name, (ulong)chunk.Data.Length, arrived, Stopwatch.GetTimestamp());
    }
}
