using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Omni.Common.Hosting;

/// <summary>
/// SERVING while the process serves; NOT_SERVING from the moment shutdown begins, so that probes and routers stop
/// sending new work while in-flight requests drain. Engines are loaded before the ports open, so "started" means ready.
/// </summary>
public sealed class ReadinessHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("shutting down")
            : HealthCheckResult.Healthy());
}
