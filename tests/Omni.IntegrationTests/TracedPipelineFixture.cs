using Omni.Cli.Client;
using Omni.Cli.Launching;
using Omni.Testing;

namespace Omni.IntegrationTests;

/// <summary>
/// A pipeline whose three processes export their spans over OTLP/gRPC to an in-test receiver, and a real Prometheus
/// with exemplar storage scraping them (OpenMetrics, which Prometheus asks for first).
/// </summary>
public sealed class TracedPipelineFixture : IAsyncLifetime
{
    private LocalPipeline? _pipeline;

    public OtlpTraceReceiver Receiver { get; private set; } = null!;

    public LocalPipeline Pipeline => _pipeline ?? throw new InvalidOperationException("The pipeline is not started.");

    public PrometheusServer Prometheus { get; private set; } = null!;

    public OmniClient Client { get; private set; } = null!;

    public static Dictionary<string, string?> TracingEnvironment(string endpoint) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        // Export each batch within 100 ms rather than the default 5 s.
        ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
    };

    public async Task InitializeAsync()
    {
        Receiver = await OtlpTraceReceiver.StartAsync();
        _pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu", Environment = TracingEnvironment(Receiver.Endpoint) },
            CancellationToken.None);
        Client = new OmniClient(_pipeline.Orchestrator.GrpcAddress);
        Prometheus = await PrometheusServer.StartAsync(_ =>
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n" +
            $"  - job_name: omni\n    static_configs:\n      - targets: [{string.Join(", ", _pipeline.All.Select(service => $"'127.0.0.1:{service.MetricsPort}'"))}]\n",
            extraArguments: ["--enable-feature=exemplar-storage"]);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }
        if (_pipeline is not null)
        {
            await _pipeline.DisposeAsync();
        }
        if (Receiver is not null)
        {
            await Receiver.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TracedPipelineCollection : ICollectionFixture<TracedPipelineFixture>
{
    public const string Name = "traced pipeline";
}
