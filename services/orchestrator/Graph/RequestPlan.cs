namespace Omni.Orchestrator.Graph;

/// <summary>The stages and edges one request runs, in topological order.</summary>
public sealed record RequestPlan(IReadOnlyList<PlannedStage> Stages, IReadOnlyList<GraphEdge> Edges);

/// <summary>A stage in a request's plan: what it sends the client, and its edges within the plan.</summary>
public sealed record PlannedStage(StageNode Node, IReadOnlyList<string> ClientOutputs, IReadOnlyList<GraphEdge> Inputs,
    IReadOnlyList<GraphEdge> Outputs)
{
    /// <summary>The input tensors the stage consumes in this request.</summary>
    public IEnumerable<string> InputTensors => Inputs.SelectMany(edge => edge.Tensors).Distinct(StringComparer.Ordinal);

    /// <summary>What it returns on its response stream: its client outputs and the tensors its relay edges carry.</summary>
    public IEnumerable<string> StreamOutputs => ClientOutputs
        .Concat(Outputs.Where(edge => edge.Connector == Configuration.Connector.Relay).SelectMany(edge => edge.Tensors))
        .Distinct(StringComparer.Ordinal);
}
