using Omni.Orchestrator.Configuration;

namespace Omni.Orchestrator.Graph;

/// <summary>One stage of the graph.</summary>
public sealed record StageNode(string Name, int StageId, string Kind, IReadOnlyList<string> Produces, IReadOnlyList<string> ClientOutputs,
    StageOptions Options)
{
    /// <summary>Edges into this stage, in configuration order.</summary>
    public IReadOnlyList<GraphEdge> Inputs { get; internal set; } = [];

    /// <summary>Edges out of this stage, in configuration order of their consumers.</summary>
    public IReadOnlyList<GraphEdge> Outputs { get; internal set; } = [];
}
