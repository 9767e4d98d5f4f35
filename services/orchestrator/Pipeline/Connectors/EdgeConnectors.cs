using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Graph;

namespace Omni.Orchestrator.Pipeline.Connectors;

public static class EdgeConnectors
{
    /// <summary>The connector the edge names; a relay writes into the downstream call's input.</summary>
    public static IEdgeConnector Create(GraphEdge edge, StageInputWriter downstream)
    {
        ArgumentNullException.ThrowIfNull(edge);
        return edge.Connector == Connector.Direct ? new DirectConnector(edge) : new RelayConnector(edge, downstream);
    }
}
