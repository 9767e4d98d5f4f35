using System.Text.Json;
using Omni.Cli.Client;
using Omni.Cli.Launching;

namespace Omni.IntegrationTests;

/// <summary>
/// Real processes on 127.0.0.1 for pipelines beyond the default: a "thinker" AR stage (stage 0), a "rewriter" AR stage
/// (stage 1) that takes the thinker's generated token ids as its prompt, and a diffusion stage (stage 2); two
/// orchestrators in front of them, each with its own pipeline file: a 3-stage chain and a fan-out.
/// </summary>
public sealed class GraphPipelineFixture : IAsyncLifetime
{
    private readonly List<ServiceProcess> _processes = [];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"omni-graph-{Guid.NewGuid():N}"[..24]);

    /// <summary>thinker -(token_ids, relay)-> rewriter -(hidden_states, direct)-> diffusion; text from the thinker, the image from diffusion.</summary>
    public OmniClient Chain { get; private set; } = null!;

    /// <summary>thinker -(token_ids, relay, partial)-> rewriter and thinker -(hidden_states, direct)-> diffusion; text from the rewriter.</summary>
    public OmniClient FanOut { get; private set; } = null!;

    public ServiceProcess ChainOrchestrator { get; private set; } = null!;

    public ServiceProcess Thinker { get; private set; } = null!;

    /// <summary>Starts one more orchestrator with the given definition (JSON); the caller disposes it.</summary>
    public ServiceProcess StartOrchestrator(string definitionJson)
    {
        var ports = FreePorts.Take(2);
        var path = Path.Combine(_directory, $"definition-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, definitionJson);
        return ServiceProcess.Start(ServiceKind.Orchestrator, ports[0], ports[1], -1, 0, ["--pipeline", path], _directory);
    }

    public async Task InitializeAsync()
    {
        var ports = FreePorts.Take(10);
        var peers = $"http://127.0.0.1:{ports[4]}";
        var thinker = Thinker = Start(ServiceKind.ArStage, ports[0], ports[1], 0, "--transfer-peers", peers);
        var rewriter = Start(ServiceKind.ArStage, ports[2], ports[3], 1, "--transfer-peers", peers);
        var diffusion = Start(ServiceKind.DiffusionStage, ports[4], ports[5], 2);
        await Task.WhenAll(_processes.Select(process => process.WaitHealthyAsync(TimeSpan.FromMinutes(3), CancellationToken.None)));

        var chain = Definition(thinker, rewriter, diffusion, chain: true);
        var fanOut = Definition(thinker, rewriter, diffusion, chain: false);
        ChainOrchestrator = StartOrchestrator(ports[6], ports[7], chain);
        var fanOutOrchestrator = StartOrchestrator(ports[8], ports[9], fanOut);
        await Task.WhenAll(ChainOrchestrator.WaitHealthyAsync(TimeSpan.FromMinutes(1), CancellationToken.None),
            fanOutOrchestrator.WaitHealthyAsync(TimeSpan.FromMinutes(1), CancellationToken.None));
        Chain = new OmniClient(ChainOrchestrator.GrpcAddress);
        FanOut = new OmniClient(fanOutOrchestrator.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        Chain?.Dispose();
        FanOut?.Dispose();
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
        }
    }

    private ServiceProcess Start(ServiceKind kind, int grpcPort, int metricsPort, int stageId, params string[] args)
    {
        var process = ServiceProcess.Start(kind, grpcPort, metricsPort, stageId, 0, ["--stage-id", $"{stageId}", "--device", "cpu", .. args], _directory);
        _processes.Add(process);
        return process;
    }

    private ServiceProcess StartOrchestrator(int grpcPort, int metricsPort, string definition)
    {
        var process = ServiceProcess.Start(ServiceKind.Orchestrator, grpcPort, metricsPort, -1, 0, ["--pipeline", definition], _directory);
        _processes.Add(process);
        return process;
    }

    /// <summary>Writes a pipeline definition (JSON) and returns its path.</summary>
    private string Definition(ServiceProcess thinker, ServiceProcess rewriter, ServiceProcess diffusion, bool chain)
    {
        var definition = new
        {
            pipeline = new
            {
                modelName = chain ? "omni-chain" : "omni-fan-out",
                stages = new object[]
                {
                    new
                    {
                        name = "thinker", stageId = 0, kind = "ar", addresses = thinker.GrpcAddress,
                        produces = new[] { "text", "token_ids", "hidden_states", "negative_hidden_states" },
                        clientOutputs = chain ? new[] { "text" } : [],
                    },
                    new
                    {
                        name = "rewriter", stageId = 1, kind = "ar", addresses = rewriter.GrpcAddress,
                        inputs = new[] { new { from = "thinker", tensors = new[] { "token_ids" }, connector = "relay", partial = !chain } },
                        produces = new[] { "text", "token_ids", "hidden_states", "negative_hidden_states" },
                        clientOutputs = chain ? Array.Empty<string>() : ["text"],
                    },
                    new
                    {
                        name = "diffusion", stageId = 2, kind = "diffusion", addresses = diffusion.GrpcAddress,
                        inputs = new[]
                        {
                            new { from = chain ? "rewriter" : "thinker", tensors = new[] { "hidden_states", "negative_hidden_states" }, connector = "direct", partial = true },
                        },
                        produces = new[] { "image" },
                        clientOutputs = new[] { "image" },
                    },
                },
            },
        };
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, chain ? "chain.json" : "fan-out.json");
        File.WriteAllText(path, JsonSerializer.Serialize(definition));
        return path;
    }
}

[CollectionDefinition(Name)]
public sealed class GraphPipelineCollection : ICollectionFixture<GraphPipelineFixture>
{
    public const string Name = "graph-pipeline";
}
