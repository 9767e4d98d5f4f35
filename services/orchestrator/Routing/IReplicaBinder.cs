using Omni.Orchestrator.Graph;

namespace Omni.Orchestrator.Routing;

/// <summary>Binds a replica of a stage to a request.</summary>
public interface IReplicaBinder
{
    /// <summary>
    /// A ready replica of <paramref name="stage"/>, other than <paramref name="exclude"/>'s when another is ready (else
    /// that one again); UNAVAILABLE when none is ready in time.
    /// </summary>
    Task<StageBinding> BindAsync(StageNode stage, StageBinding? exclude, CancellationToken cancellationToken);
}
