using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using Omni.Cli.Client;
using Omni.Cli.Launching;
using Omni.Contracts.V1;

namespace Omni.Bench.Pipeline;

/// <summary>
/// `omni-bench pipeline`: what the orchestrator costs. (1) The hop: p50 of a tiny text request through the
/// orchestrator against the same request sent straight to the AR stage, interleaved. (2) The connectors: the same
/// image request with a long prompt through a relay and a direct orchestrator. (3) Metric collection on and off:
/// pipeline throughput with --disable-log-stats everywhere against the default, alternating rounds.
/// </summary>
public static class PipelineBenchmark
{
    public static Command Create()
    {
        var hopSamples = new Option<int>("--hop-samples") { DefaultValueFactory = _ => 300 };
        var transferSamples = new Option<int>("--transfer-samples") { DefaultValueFactory = _ => 15 };
        var promptWords = new Option<int>("--prompt-words") { Description = "Words in the long prompt of the connector runs.", DefaultValueFactory = _ => 1500 };
        var rounds = new Option<int>("--rounds") { Description = "Alternating rounds of the metrics on/off comparison.", DefaultValueFactory = _ => 6 };
        var requests = new Option<int>("--requests") { Description = "Requests per round (4 concurrent).", DefaultValueFactory = _ => 24 };
        var command = new Command("pipeline", "Orchestrator hop latency, relay vs direct connector, metrics on vs off.")
        {
            hopSamples, transferSamples, promptWords, rounds, requests,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            Console.WriteLine($"Command: omni-bench {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
            Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs, load {LoadAverage()} at start");
            await using var pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu" }, cancellationToken);
            await HopAsync(pipeline, parse.GetValue(hopSamples), cancellationToken);
            await ConnectorsAsync(pipeline, parse.GetValue(transferSamples), parse.GetValue(promptWords), cancellationToken);
            await MetricsOverheadAsync(pipeline, parse.GetValue(rounds), parse.GetValue(requests), cancellationToken);
            Console.WriteLine($"Load at end: {LoadAverage()}");
            return 0;
        });
        return command;
    }

    private static async Task HopAsync(LocalPipeline pipeline, int samples, CancellationToken cancellationToken)
    {
        using var orchestrator = new OmniClient(pipeline.Orchestrator.GrpcAddress);
        using var channel = GrpcChannel.ForAddress(pipeline.ArStages[0].GrpcAddress);
        var stage = new Stage.StageClient(channel);
        var request = new GenerateRequest { Prompt = "hi", Text = new TextParams { MaxTokens = 1, Temperature = 0 } };
        var header = new StageRequest { Prompt = "hi", Text = request.Text, EmitText = true };
        for (var i = 0; i < 20; i++)
        {
            await orchestrator.GenerateAsync(request, cancellationToken: cancellationToken);
            await DirectAsync(stage, header, cancellationToken);
        }
        var viaOrchestrator = new List<double>();
        var direct = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await orchestrator.GenerateAsync(request, cancellationToken: cancellationToken);
            viaOrchestrator.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            start = Stopwatch.GetTimestamp();
            await DirectAsync(stage, header, cancellationToken);
            direct.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        Console.WriteLine();
        Console.WriteLine($"### Orchestrator hop ({samples} interleaved pairs, text request of 1 token)");
        Console.WriteLine("| path | p50 ms | p90 ms |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine(Row("client -> AR stage", direct));
        Console.WriteLine(Row("client -> orchestrator -> AR stage", viaOrchestrator));
        var paired = viaOrchestrator.Zip(direct, (a, b) => a - b).ToList();
        Console.WriteLine($"Added by the orchestrator: p50 difference {Median(viaOrchestrator) - Median(direct):F3} ms, " +
            $"median of paired differences {Median(paired):F3} ms");
    }

    private static async Task DirectAsync(Stage.StageClient stage, StageRequest header, CancellationToken cancellationToken)
    {
        using var call = stage.Process(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new StageInput { Header = header }, cancellationToken);
        await call.RequestStream.CompleteAsync();
        await foreach (var _ in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
        }
    }

    private static async Task ConnectorsAsync(LocalPipeline pipeline, int samples, int promptWords, CancellationToken cancellationToken)
    {
        await using var direct = await pipeline.StartOrchestratorAsync(["--connector", "direct"], cancellationToken);
        using var relayClient = new OmniClient(pipeline.Orchestrator.GrpcAddress);
        using var directClient = new OmniClient(direct.GrpcAddress);
        var prompt = string.Join(' ', Enumerable.Repeat("word", promptWords));
        var request = new GenerateRequest
        {
            Prompt = prompt,
            Image = new ImageParams { Width = 64, Height = 64, NumInferenceSteps = 1, Seed = 1 },
        };
        request.Outputs.Add(Modality.Image);
        var results = new Dictionary<string, List<TransferReport>> { ["relay"] = [], ["direct"] = [] };
        var e2e = new Dictionary<string, List<double>> { ["relay"] = [], ["direct"] = [] };
        for (var i = 0; i < samples + 2; i++)
        {
            foreach (var (name, client) in new[] { ("relay", relayClient), ("direct", directClient) })
            {
                var result = await client.GenerateAsync(request, cancellationToken: cancellationToken);
                if (i >= 2)
                {
                    results[name].Add(result.Final.Transfers.Single());
                    e2e[name].Add(result.Final.E2ETimeMs);
                }
            }
        }
        var bytes = results["relay"][0].Bytes;
        Console.WriteLine();
        Console.WriteLine($"### Connectors ({samples} image requests each, {bytes / 1048576.0:F2} MiB of hidden states in {results["relay"][0].Chunks} chunks)");
        Console.WriteLine("| connector | tx ms (sum, p50) | rx decode ms (sum, p50) | in-flight ms (sum, p50) | MB/s over tx+in-flight | e2e ms p50 |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (name, reports) in results)
        {
            var tx = Median(reports.Select(r => r.TxMs).ToList());
            var rx = Median(reports.Select(r => r.RxDecodeMs).ToList());
            var flight = Median(reports.Select(r => r.InFlightMs).ToList());
            var rate = bytes / 1e6 / ((tx + flight) / 1000);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {tx:F2} | {rx:F2} | {flight:F2} | {rate:F0} | {Median(e2e[name]):F1} |"));
        }
    }

    private static async Task MetricsOverheadAsync(LocalPipeline withMetrics, int rounds, int requests, CancellationToken cancellationToken)
    {
        await using var without = await LocalPipeline.StartAsync(new LocalPipelineOptions
        {
            Device = "cpu",
            OrchestratorArgs = ["--disable-log-stats"],
            ArArgs = ["--disable-log-stats"],
            DiffusionArgs = ["--disable-log-stats"],
        }, cancellationToken);
        var pipelines = new[] { ("on", withMetrics), ("off", without) };
        var throughput = new Dictionary<string, List<double>> { ["on"] = [], ["off"] = [] };
        var request = new GenerateRequest
        {
            Prompt = "A small house by the sea",
            Text = new TextParams { MaxTokens = 8, Temperature = 0 },
            Image = new ImageParams { Width = 64, Height = 64, NumInferenceSteps = 2, Seed = 3 },
        };
        request.Outputs.Add(Modality.Text);
        request.Outputs.Add(Modality.Image);
        for (var round = 0; round <= rounds; round++)
        {
            foreach (var (name, pipeline) in round % 2 == 0 ? pipelines : pipelines.Reverse())
            {
                using var client = new OmniClient(pipeline.Orchestrator.GrpcAddress);
                var start = Stopwatch.GetTimestamp();
                var pending = Enumerable.Range(0, 4).Select(async _ =>
                {
                    for (var i = 0; i < requests / 4; i++)
                    {
                        await client.GenerateAsync(request, cancellationToken: cancellationToken);
                    }
                });
                await Task.WhenAll(pending);
                if (round > 0)
                {
                    throughput[name].Add(requests / Stopwatch.GetElapsedTime(start).TotalSeconds);
                }
            }
        }
        var on = Median(throughput["on"]);
        var off = Median(throughput["off"]);
        Console.WriteLine();
        Console.WriteLine($"### Metric collection on vs off ({rounds} alternating rounds of {requests} text+image requests, 4 concurrent)");
        Console.WriteLine("| metrics | requests/s (median) |");
        Console.WriteLine("|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| on | {on:F2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| off | {off:F2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"On/off throughput ratio: {on / off:F3}"));
    }

    private static string Row(string name, List<double> values) =>
        string.Create(CultureInfo.InvariantCulture, $"| {name} | {Median(values):F3} | {Percentile(values, 0.9):F3} |");

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        var position = (sorted.Count - 1) * p;
        var low = (int)Math.Floor(position);
        var high = (int)Math.Ceiling(position);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
