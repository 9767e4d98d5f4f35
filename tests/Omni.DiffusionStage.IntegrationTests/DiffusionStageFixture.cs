using Grpc.Net.Client;
using Omni.Cli.Launching;
using Omni.Contracts.V1;
using Omni.Testing;

namespace Omni.DiffusionStage.IntegrationTests;

/// <summary>
/// The real diffusion stage process (stage 1, replica 0, CPU, --max-batch-size 2, at most 3 direct transfers, unpaired
/// ones dropped after 1 s, inputs idle for 2 s ended) on free 127.0.0.1 ports, a real
/// Prometheus scraping its /metrics every second, and a gRPC client of its Stage service.
/// </summary>
public sealed class DiffusionStageFixture : IAsyncLifetime
{
    public const int MaxBatchSize = 2;
    public const int MaxIncomingTransfers = 3;

    private readonly string _logDirectory = Path.Combine(Path.GetTempPath(), $"omni-diffusion-it-{Guid.NewGuid():N}");
    private ServiceProcess? _stage;
    private PrometheusServer? _prometheus;
    private GrpcChannel? _channel;

    public ServiceProcess Service => _stage ?? throw new InvalidOperationException("The stage is not started.");

    public PrometheusServer Prometheus => _prometheus ?? throw new InvalidOperationException("Prometheus is not started.");

    public Stage.StageClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var ports = FreePorts.Take(2);
        _stage = ServiceProcess.Start(ServiceKind.DiffusionStage, ports[0], ports[1], stageId: 1, replicaId: 0,
            ["--stage-id", "1", "--replica-id", "0", "--device", "cpu", "--max-batch-size", $"{MaxBatchSize}", "--max-incoming-transfers",
                $"{MaxIncomingTransfers}", "--unpaired-transfer-timeout", "1", "--input-idle-timeout", "2"], _logDirectory);
        await _stage.WaitHealthyAsync(TimeSpan.FromSeconds(120), CancellationToken.None);
        _prometheus = await PrometheusServer.StartAsync(new Dictionary<string, IReadOnlyList<string>>
        {
            ["diffusion"] = [$"127.0.0.1:{ports[1]}"],
        });
        await _prometheus.WaitForTargetsUpAsync(1);
        _channel = GrpcChannel.ForAddress(_stage.GrpcAddress);
        Client = new Stage.StageClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_prometheus is not null)
        {
            await _prometheus.DisposeAsync();
        }
        if (_stage is not null)
        {
            await _stage.DisposeAsync();
        }
        try
        {
            Directory.Delete(_logDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DiffusionStageCollection : ICollectionFixture<DiffusionStageFixture>
{
    public const string Name = "diffusion stage process";
}
