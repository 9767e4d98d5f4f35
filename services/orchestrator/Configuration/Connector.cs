namespace Omni.Orchestrator.Configuration;

/// <summary>How the payload of an edge travels from one stage to the next.</summary>
public enum Connector
{
    /// <summary>Chunks pass through the orchestrator.</summary>
    Relay,

    /// <summary>The upstream stage streams chunks straight to the bound downstream replica.</summary>
    Direct,
}
