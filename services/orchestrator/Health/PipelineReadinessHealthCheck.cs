using Microsoft.Extensions.Diagnostics.HealthChecks;
using Omni.Orchestrator.Routing;

namespace Omni.Orchestrator.Health;

/// <summary>
/// Ready while every client output the pipeline offers can be served: each stage it needs has a ready replica.
/// When none can (at start-up, or with the stage every request runs down) gRPC health says NOT_SERVING, so Kubernetes
/// and load balancers send nothing that could only wait and fail; when some can (no diffusion replica, text still
/// works) it is Degraded, still serving, and names what fails.
/// </summary>
public sealed class PipelineReadinessHealthCheck(PipelineStages stages) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var graph = stages.Graph;
        var ready = graph.Stages.ToDictionary(stage => stage, stage => stages[stage].Replicas.Count(replica => replica.State == ReplicaState.Ready));
        var data = ready.ToDictionary(pair => $"{pair.Key.Name}_ready_replicas", pair => (object)pair.Value);
        var outputs = graph.ClientOutputs.Distinct().ToList();
        var unservable = outputs.Where(output => graph.Plan([output]).Stages.Any(stage => ready[stage.Node] == 0)).ToList();
        var down = string.Join(", ", graph.Stages.Where(stage => ready[stage] == 0).Select(stage => stage.Name));
        return Task.FromResult(unservable.Count == outputs.Count
            ? HealthCheckResult.Unhealthy($"no ready replica of stage {down}: nothing can be served", data: data)
            : unservable.Count > 0
                ? HealthCheckResult.Degraded($"no ready replica of stage {down}: {string.Join(", ", unservable)} requests fail", data: data)
                : HealthCheckResult.Healthy(data: data));
    }
}
