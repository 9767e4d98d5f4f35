using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Omni.Testing;

/// <summary>
/// A real Prometheus server (Debian package prometheus) scraping the given targets every second, on a free
/// 127.0.0.1 port with a throwaway TSDB, and a small client of its HTTP query API.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Process _process;
    private readonly string _directory;

    private PrometheusServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Address = $"http://127.0.0.1:{port}";
    }

    public string Address { get; }

    /// <summary>Starts Prometheus with one job per entry: job name to "host:port" targets (metrics path /metrics).</summary>
    public static Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> jobs)
    {
        var config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n";
        foreach (var (job, targets) in jobs)
        {
            config += $"  - job_name: {job}\n    static_configs:\n      - targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]\n";
        }
        return StartAsync(_ => config);
    }

    /// <summary>
    /// Starts Prometheus with the configuration <paramref name="configForPort"/> gives for the port it will listen on,
    /// next to <paramref name="files"/> (paths relative to the configuration's folder, e.g. rule files, and contents).
    /// </summary>
    /// <param name="configForPort">The configuration for the port it will listen on.</param>
    /// <param name="files">Files beside the configuration (rule files, say), by relative path.</param>
    /// <param name="extraArguments">More command-line flags (--enable-feature=exemplar-storage, say).</param>
    public static async Task<PrometheusServer> StartAsync(Func<int, string> configForPort, IReadOnlyDictionary<string, string>? files = null,
        IReadOnlyList<string>? extraArguments = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"omni-prometheus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        foreach (var (relativePath, content) in files ?? new Dictionary<string, string>())
        {
            var path = Path.Combine(directory, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, content);
        }
        var port = FreePort();
        var configPath = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, configForPort(port));
        var start = new ProcessStartInfo("prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            $"--config.file={configPath}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        }.Concat(extraArguments ?? []))
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, directory, port);
        await server.WaitReadyAsync();
        return server;
    }

    /// <summary>Runs an instant PromQL query; returns each series' labels and value (throws when it does not evaluate).</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        var result = await EvaluateAsync(promql);
        return result.Status == "success" ? result.Series : throw new InvalidOperationException($"{promql}: {result.Error}");
    }

    /// <summary>Runs an instant PromQL query and reports whether it evaluated, its error, and its series.</summary>
    public async Task<PromQlResult> EvaluateAsync(string promql)
    {
        using var response = await Http.GetAsync($"{Address}/api/v1/query?query={Uri.EscapeDataString(promql)}");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        var status = root.GetProperty("status").GetString()!;
        var results = new List<(IReadOnlyDictionary<string, string>, double)>();
        if (status != "success")
        {
            return new PromQlResult(status, root.TryGetProperty("error", out var error) ? error.GetString() : null, results);
        }
        var data = root.GetProperty("data");
        if (data.GetProperty("resultType").GetString() == "scalar")
        {
            results.Add((new Dictionary<string, string>(), ParseValue(data.GetProperty("result")[1])));
            return new PromQlResult(status, null, results);
        }
        foreach (var series in data.GetProperty("result").EnumerateArray())
        {
            var labels = series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            results.Add((labels, ParseValue(series.GetProperty("value")[1])));
        }
        return new PromQlResult(status, null, results);
    }

    /// <summary>
    /// The exemplars stored for the series <paramref name="promql"/> selects over the last <paramref name="window"/>
    /// (needs --enable-feature=exemplar-storage): each one's series labels and its own labels (trace_id, span_id).
    /// </summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Series, IReadOnlyDictionary<string, string> Exemplar, double Value)>>
        QueryExemplarsAsync(string promql, TimeSpan window)
    {
        var end = DateTimeOffset.UtcNow.AddMinutes(1);
        var start = end - window;
        var root = await GetJsonAsync($"/api/v1/query_exemplars?query={Uri.EscapeDataString(promql)}&start={start.ToUnixTimeSeconds()}&end={end.ToUnixTimeSeconds()}");
        var exemplars = new List<(IReadOnlyDictionary<string, string>, IReadOnlyDictionary<string, string>, double)>();
        foreach (var series in root.GetProperty("data").EnumerateArray())
        {
            var labels = series.GetProperty("seriesLabels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            foreach (var exemplar in series.GetProperty("exemplars").EnumerateArray())
            {
                var own = exemplar.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
                exemplars.Add((labels, own, double.Parse(exemplar.GetProperty("value").GetString()!, CultureInfo.InvariantCulture)));
            }
        }
        return exemplars;
    }

    /// <summary>GETs a path of the HTTP API (e.g. /api/v1/rules) as JSON.</summary>
    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var document = JsonDocument.Parse(await Http.GetStringAsync($"{Address}{path}"));
        return document.RootElement.Clone();
    }

    /// <summary>Polls <paramref name="promql"/> until <paramref name="condition"/> holds for its series, or the timeout passes.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> WaitForSeriesAsync(string promql,
        Func<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var series = (await EvaluateAsync(promql)).Series;
            if (condition(series) || DateTime.UtcNow > deadline)
            {
                return series;
            }
            await Task.Delay(250);
        }
    }

    /// <summary>Single-valued query; NaN when it returns nothing.</summary>
    public async Task<double> ScalarAsync(string promql)
    {
        var results = await QueryAsync(promql);
        return results.Count == 0 ? double.NaN : results[0].Value;
    }

    /// <summary>Polls <paramref name="promql"/> until <paramref name="condition"/> holds (scrapes land about every second).</summary>
    public async Task<double> WaitForAsync(string promql, Func<double, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        double value;
        do
        {
            value = await ScalarAsync(promql);
            if (condition(value))
            {
                return value;
            }
            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);
        return value;
    }

    /// <summary>True once every target of every job has been scraped successfully (up == 1).</summary>
    public async Task WaitForTargetsUpAsync(int expectedTargets, TimeSpan? timeout = null)
    {
        var up = await WaitForAsync("count(up == 1)", value => value >= expectedTargets, timeout);
        if (up < expectedTargets)
        {
            throw new TimeoutException($"Only {up} of {expectedTargets} targets are up.");
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

    private static double ParseValue(JsonElement value) => value.GetString() switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var text => double.Parse(text!, CultureInfo.InvariantCulture),
    };

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
