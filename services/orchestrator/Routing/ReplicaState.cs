namespace Omni.Orchestrator.Routing;

public enum ReplicaState
{
    /// <summary>Not yet identified (GetInfo / load stream not established).</summary>
    Connecting,

    /// <summary>Identified and reporting load: eligible for new requests.</summary>
    Ready,

    /// <summary>A call or the load stream failed; skipped until the load stream is back.</summary>
    Unhealthy,

    /// <summary>Reports a stage or kind other than the configured one; never used.</summary>
    Refused,
}
