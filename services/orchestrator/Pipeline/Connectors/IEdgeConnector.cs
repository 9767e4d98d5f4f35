using Omni.Contracts.V1;
using Omni.Orchestrator.Graph;

namespace Omni.Orchestrator.Pipeline.Connectors;

/// <summary>
/// Moves one edge's tensors from the upstream stage's call to the downstream stage's, for one request, and keeps
/// the edge's ledger. Relay passes the chunks through the orchestrator; direct has the upstream replica push them.
/// </summary>
public interface IEdgeConnector
{
    GraphEdge Edge { get; }

    TransferLedger Ledger { get; }

    /// <summary>Adds to both calls' headers what this connector needs, before either call opens.</summary>
    void Prepare(StageRequest upstream, StageRequest downstream, string downstreamAddress);

    /// <summary>A chunk of one of the edge's tensors arrived on the upstream stage's response stream (relay only).</summary>
    Task OnChunkAsync(TensorChunk chunk, long arrived, CancellationToken cancellationToken);

    /// <summary>The upstream stage finished: its payload is complete, and its final carries what it measured sending.</summary>
    Task OnUpstreamFinishedAsync(StageFinal final, CancellationToken cancellationToken);

    /// <summary>The downstream stage finished: its final carries what it measured receiving.</summary>
    void OnDownstreamFinished(StageFinal final);
}
