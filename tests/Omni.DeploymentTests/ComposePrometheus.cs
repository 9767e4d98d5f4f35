using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Omni.Cli.Launching;

namespace Omni.DeploymentTests;

/// <summary>
/// The real Prometheus (Debian package prometheus) running deploy/prometheus/prometheus.yml, the compose file's
/// configuration, with its rules, pointed at the test containers: only the target addresses (compose DNS names ->
/// 127.0.0.1 ports) and the intervals (5 s -> 1 s) are rewritten; jobs, target labels and rule files are the file's.
/// </summary>
public sealed class ComposePrometheus : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Process _process;
    private readonly string _directory;

    private ComposePrometheus(Process process, string directory, string address)
    {
        _process = process;
        _directory = directory;
        Address = address;
    }

    public string Address { get; }

    public static async Task<ComposePrometheus> StartAsync(IReadOnlyDictionary<string, string> targets)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"omni-compose-prometheus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(directory, "rules"));
        var port = FreePorts.Take(1)[0];
        var config = RepositoryPaths.Read("deploy", "prometheus", "prometheus.yml")
            .Replace("scrape_interval: 5s", "scrape_interval: 1s")
            .Replace("scrape_timeout: 4s", "scrape_timeout: 1s")
            .Replace("evaluation_interval: 15s", "evaluation_interval: 1s")
            .Replace("'localhost:9090'", $"'127.0.0.1:{port}'");
        foreach (var (composeTarget, local) in targets)
        {
            var quoted = $"'{composeTarget}'";
            if (!config.Contains(quoted, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"deploy/prometheus/prometheus.yml has no target {quoted}");
            }
            config = config.Replace(quoted, $"'{local}'");
        }
        await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"), config);
        // The rules file as it is, except the recording group's 30 s interval, so that the test need not wait.
        var rules = RepositoryPaths.Read("deploy", "prometheus", "rules", "omni-rules.yml").Replace("interval: 30s", "interval: 1s");
        await File.WriteAllTextAsync(Path.Combine(directory, "rules", "omni-rules.yml"), rules);

        var start = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            $"--config.file={Path.Combine(directory, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ComposePrometheus(process, directory, $"http://127.0.0.1:{port}");
        await server.WaitReadyAsync();
        return server;
    }

    /// <summary>An instant query: (status, error, series as labels + value).</summary>
    public async Task<(string Status, string? Error, List<(Dictionary<string, string> Labels, double Value)> Series)> QueryAsync(string promql)
    {
        using var response = await Http.GetAsync($"{Address}/api/v1/query?query={Uri.EscapeDataString(promql)}");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        var status = root.GetProperty("status").GetString()!;
        var series = new List<(Dictionary<string, string>, double)>();
        if (status != "success")
        {
            return (status, root.TryGetProperty("error", out var error) ? error.GetString() : null, series);
        }
        var data = root.GetProperty("data");
        if (data.GetProperty("resultType").GetString() == "vector")
        {
            foreach (var item in data.GetProperty("result").EnumerateArray())
            {
                var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
                series.Add((labels, ParseValue(item.GetProperty("value")[1].GetString()!)));
            }
        }
        return (status, null, series);
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var document = JsonDocument.Parse(await Http.GetStringAsync($"{Address}{path}"));
        return document.RootElement.Clone();
    }

    /// <summary>Polls until <paramref name="condition"/> holds for the query's series, or the timeout passes.</summary>
    public async Task<List<(Dictionary<string, string> Labels, double Value)>> WaitForAsync(string promql,
        Func<List<(Dictionary<string, string> Labels, double Value)>, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var (_, _, series) = await QueryAsync(promql);
            if (condition(series) || DateTime.UtcNow > deadline)
            {
                return series;
            }
            await Task.Delay(500);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with code {_process.ExitCode}");
            }
            try
            {
                using var response = await Http.GetAsync($"{Address}/-/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("prometheus was not ready after 30 s");
    }

    private static double ParseValue(string value) => value switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.Parse(value, CultureInfo.InvariantCulture),
    };
}
