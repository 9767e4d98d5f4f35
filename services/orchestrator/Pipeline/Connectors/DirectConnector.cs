using Omni.Contracts.V1;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Graph;

namespace Omni.Orchestrator.Pipeline.Connectors;

/// <summary>
/// The direct connector: the orchestrator names one transfer to both sides; the upstream replica pushes the edge's
/// tensors straight to the bound downstream replica (Stage.PushTransfer) and reports what it measured in its final.
/// </summary>
public sealed class DirectConnector(GraphEdge edge) : IEdgeConnector
{

    public GraphEdge Edge => edge;

    public TransferLedger Ledger { get; } = new(edge.From.StageId, edge.To.StageId, Connector.Direct, edge.Tensors, Guid.NewGuid().ToString("N"));

    private string TransferId => Ledger.TransferId!;

    public void Prepare(StageRequest upstream, StageRequest downstream, string downstreamAddress)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(downstream);
        var target = new DirectTarget { Address = downstreamAddress, TransferId = TransferId, MaxChunksInFlight = (uint)edge.MaxChunksInFlight };
        target.Tensors.AddRange(edge.Tensors);
        upstream.ForwardTo.Add(target);
        downstream.ReceiveTransferIds.Add(TransferId);
    }

    public Task OnChunkAsync(TensorChunk chunk, long arrived, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"Edge {edge} is direct; its chunks do not pass the orchestrator.");

    public Task OnUpstreamFinishedAsync(StageFinal final, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(final);
        if (final.DirectSends.FirstOrDefault(sent => sent.TransferId == TransferId) is { } sent)
        {
            Ledger.MergeDirect(sent);
        }
        return Task.CompletedTask;
    }

    public void OnDownstreamFinished(StageFinal final)
    {
        ArgumentNullException.ThrowIfNull(final);
        Ledger.MergeReceived(final.ReceivedChunks);
    }
}
