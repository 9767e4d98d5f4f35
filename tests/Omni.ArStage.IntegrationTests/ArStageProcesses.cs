using Omni.Cli.Launching;
using Omni.Testing;

namespace Omni.ArStage.IntegrationTests;

/// <summary>
/// Three real AR stage processes on qwen2-tiny (stage 0, CPU), scraped every second by one real Prometheus:
/// <see cref="Main"/> (replica 3, max 4 sequences, 512 blocks of 16 tokens), <see cref="Tight"/> (replica 4, 12 blocks
/// of 4 tokens, so concurrent requests must be preempted), <see cref="Quiet"/> (replica 5, --disable-log-stats) and
/// <see cref="Bounded"/> (replica 6, 2 running + 2 waiting at most).
/// </summary>
public sealed class ArStageProcesses : IAsyncLifetime
{
    public const string ModelName = "qwen2-tiny";
    public const int MainMaxNumSeqs = 4;
    public const int MainBlocks = 512;

    private readonly string _logs = Path.Combine(Path.GetTempPath(), $"omni-ar-it-{Guid.NewGuid():N}");
    private readonly List<ServiceProcess> _processes = [];
    private PrometheusServer? _prometheus;

    public StageEndpoint Main { get; private set; } = null!;

    public StageEndpoint Tight { get; private set; } = null!;

    public StageEndpoint Quiet { get; private set; } = null!;

    public StageEndpoint Bounded { get; private set; } = null!;

    public PrometheusServer Prometheus => _prometheus ?? throw new InvalidOperationException("Prometheus is not running.");

    public async Task InitializeAsync()
    {
        var model = Path.Combine(AppContext.BaseDirectory, "Fixtures", "qwen2-tiny");
        string[] common = ["--stage-id", "0", "--device", "cpu", "--model-dir", model, "--torch-threads", "1"];
        var ports = FreePorts.Take(8);
        ServiceProcess Start(int replica, int port, params string[] args)
        {
            var process = ServiceProcess.Start(ServiceKind.ArStage, ports[port], ports[port + 1], 0, replica,
                [.. common, "--replica-id", $"{replica}", .. args], _logs);
            _processes.Add(process);
            return process;
        }

        var main = Start(3, 0, "--max-num-seqs", $"{MainMaxNumSeqs}", "--num-kv-blocks", $"{MainBlocks}");
        var tight = Start(4, 2, "--block-size", "4", "--num-kv-blocks", "12");
        var quiet = Start(5, 4, "--num-kv-blocks", "64", "--disable-log-stats");
        var bounded = Start(6, 6, "--num-kv-blocks", "64", "--max-num-seqs", "2", "--max-waiting", "2");
        await Task.WhenAll(_processes.Select(p => p.WaitHealthyAsync(TimeSpan.FromMinutes(2), CancellationToken.None)));
        (Main, Tight, Quiet, Bounded) = (new StageEndpoint(main), new StageEndpoint(tight), new StageEndpoint(quiet), new StageEndpoint(bounded));
        _prometheus = await PrometheusServer.StartAsync(new Dictionary<string, IReadOnlyList<string>>
        {
            ["ar"] = _processes.Take(3).Select(p => $"127.0.0.1:{p.MetricsPort}").ToArray(),
        });
        await _prometheus.WaitForTargetsUpAsync(3);
    }

    public async Task DisposeAsync()
    {
        if (_prometheus is not null)
        {
            await _prometheus.DisposeAsync();
        }

        foreach (var endpoint in new[] { Main, Tight, Quiet, Bounded }.Where(e => e is not null))
        {
            endpoint.Dispose();
        }

        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        try
        {
            Directory.Delete(_logs, recursive: true);
        }
        catch (IOException)
        {
            // Logs are best-effort clean-up.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ArStageCollection : ICollectionFixture<ArStageProcesses>
{
    public const string Name = "ar stage processes";
}
