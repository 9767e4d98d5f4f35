using Omni.Testing;

namespace Omni.DeploymentTests;

/// <summary>
/// The real Prometheus running deploy/prometheus/prometheus.yml, the compose file's configuration, with its rules,
/// pointed at the test containers: only the target addresses (compose DNS names -> 127.0.0.1 ports) and the
/// intervals (5 s -> 1 s) are rewritten; jobs, target labels and rule files are the file's.
/// </summary>
public static class ComposePrometheus
{
    public static Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, string> targets)
    {
        var template = RepositoryPaths.Read("deploy", "prometheus", "prometheus.yml")
            .Replace("scrape_interval: 5s", "scrape_interval: 1s")
            .Replace("scrape_timeout: 4s", "scrape_timeout: 1s")
            .Replace("evaluation_interval: 15s", "evaluation_interval: 1s");
        foreach (var (composeTarget, local) in targets)
        {
            var quoted = $"'{composeTarget}'";
            if (!template.Contains(quoted, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"deploy/prometheus/prometheus.yml has no target {quoted}");
            }
            template = template.Replace(quoted, $"'{local}'");
        }
        // The rules file as it is, except the recording group's 30 s interval, so that the test need not wait.
        var rules = RepositoryPaths.Read("deploy", "prometheus", "rules", "omni-rules.yml").Replace("interval: 30s", "interval: 1s");
        return PrometheusServer.StartAsync(
            port => template.Replace("'localhost:9090'", $"'127.0.0.1:{port}'"),
            new Dictionary<string, string> { [Path.Combine("rules", "omni-rules.yml")] = rules });
    }
}
