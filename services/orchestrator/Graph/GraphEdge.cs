using Omni.Orchestrator.Configuration;

namespace Omni.Orchestrator.Graph;

/// <summary>Tensors from one stage to another, and how they travel.</summary>
public sealed record GraphEdge(StageNode From, StageNode To, IReadOnlyList<string> Tensors, Connector Connector, bool Partial, int MaxChunksInFlight)
{
    public bool Carries(string tensor) => Tensors.Contains(tensor);

    public override string ToString() => $"{From.Name} -> {To.Name} [{string.Join(", ", Tensors)}]";
}
