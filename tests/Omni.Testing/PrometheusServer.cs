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
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, IReadOnlyList<string>> jobs)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"omni-prometheus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n";
        foreach (var (job, targets) in jobs)
        {
            config += $"  - job_name: {job}\n    static_configs:\n      - targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]\n";
        }
        var configPath = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(configPath, config);
        var port = FreePort();
        var start = new ProcessStartInfo("prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            $"--config.file={configPath}", $"--storage.tsdb.path={Path.Combine(directory, "data")}",
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
        var server = new PrometheusServer(process, directory, port);
        await server.WaitReadyAsync();
        return server;
    }

    /// <summary>Runs an instant PromQL query; returns each series' labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string promql)
    {
        var json = await Http.GetStringAsync($"{Address}/api/v1/query?query={Uri.EscapeDataString(promql)}");
        using var document = JsonDocument.Parse(json);
        var data = document.RootElement.GetProperty("data");
        var results = new List<(IReadOnlyDictionary<string, string>, double)>();
        if (data.GetProperty("resultType").GetString() == "scalar")
        {
            results.Add((new Dictionary<string, string>(), ParseValue(data.GetProperty("result")[1])));
            return results;
        }
        foreach (var series in data.GetProperty("result").EnumerateArray())
        {
            var labels = series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            results.Add((labels, ParseValue(series.GetProperty("value")[1])));
        }
        return results;
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
                var response = await Http.GetAsync($"{Address}/-/ready");
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
