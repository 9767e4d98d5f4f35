using Microsoft.Extensions.Diagnostics.HealthChecks;
using Omni.Orchestrator.Pipeline;
using Omni.Orchestrator.Routing;

namespace Omni.Orchestrator.Health;

/// <summary>
/// The orchestrator is ready only while the AR stage, which every request runs, has a ready replica: until then
/// (at start-up, or with every AR replica down) its gRPC health says NOT_SERVING, so Kubernetes and load balancers
/// send it nothing that could only wait and fail. A missing diffusion stage is reported, but text requests still work.
/// </summary>
public sealed class PipelineReadinessHealthCheck(PipelineStages stages) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        static int Ready(ReplicaSet set) => set.Replicas.Count(replica => replica.State == ReplicaState.Ready);
        var (ar, diffusion) = (Ready(stages.Ar), Ready(stages.Diffusion));
        var data = new Dictionary<string, object> { ["ar_ready_replicas"] = ar, ["diffusion_ready_replicas"] = diffusion };
        return Task.FromResult(ar == 0
            ? HealthCheckResult.Unhealthy("no ready replica of the AR stage", data: data)
            : diffusion == 0
                ? HealthCheckResult.Degraded("no ready replica of the diffusion stage: image requests fail", data: data)
                : HealthCheckResult.Healthy(data: data));
    }
}
