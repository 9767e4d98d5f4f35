namespace Omni.Orchestrator.Configuration;

/// <summary>An edge: the tensors a stage consumes from one upstream stage, and how they travel.</summary>
public sealed class StageInputOptions
{
    /// <summary>The upstream stage's name.</summary>
    public string? From { get; set; }

    /// <summary>The upstream outputs this edge carries; the consuming stage receives them under the same names.</summary>
    public List<string> Tensors { get; set; } = [];

    public Connector Connector { get; set; } = Connector.Relay;

    /// <summary>
    /// Whether the consuming stage may start on partial input: chunks are forwarded as they arrive. Otherwise the
    /// relay holds them until the upstream stage finished its payload. Unset: false for relay; direct always streams.
    /// </summary>
    public bool? Partial { get; set; }

    /// <summary>Bound on chunks in flight on this edge (direct connector).</summary>
    public int MaxChunksInFlight { get; set; } = 8;
}
