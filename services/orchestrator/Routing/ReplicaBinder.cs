using Grpc.Core;
using Omni.Orchestrator.Graph;

namespace Omni.Orchestrator.Routing;

/// <summary>Binds the least-loaded ready replica of a stage, waiting briefly for one at start-up.</summary>
public sealed class ReplicaBinder(PipelineStages stages) : IReplicaBinder
{
    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(3);

    public async Task<StageBinding> BindAsync(StageNode stage, StageBinding? exclude, CancellationToken cancellationToken)
    {
        var set = stages[stage];
        var excluded = exclude is null ? null : set.Replicas.FirstOrDefault(replica => replica.Address == exclude.Address);
        if (!set.Replicas.Any(replica => replica.State == ReplicaState.Ready && replica != excluded))
        {
            await set.WaitReadyAsync(ReadyWait, cancellationToken).ConfigureAwait(false);
        }
        StageReplica picked;
        try
        {
            picked = set.Pick(excluded);
        }
        catch (RpcException) when (excluded is not null)
        {
            picked = excluded;
        }
        return new StageBinding(picked.Address, picked.Info, picked.Client, picked.Bind(), picked.ReportFailure, picked.Lost);
    }
}
