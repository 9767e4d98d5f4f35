using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using Omni.Bench.Measuring;
using Omni.Cli.Client;
using Omni.Cli.Launching;
using Omni.Contracts.V1;
using static Omni.Bench.Measuring.Statistics;

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
        var rounds = new Option<int>("--rounds") { Description = "Alternating rounds of the metrics on/off comparison.", DefaultValueFactory = _ => 400 };
        var requests = new Option<int>("--requests") { Description = "Requests per round of the metrics on/off comparison.", DefaultValueFactory = _ => 1 };
        var sameSwitch = new Option<bool>("--a-a") { Description = "Control run: both pipelines keep metrics on, to see the setup's own bias." };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight in the metrics on/off comparison.", DefaultValueFactory = _ => 1 };
        var parts = new Option<string[]>("--parts")
        {
            Description = "Which measurements to run: hop, connectors, metrics.",
            DefaultValueFactory = _ => ["hop", "connectors", "metrics"],
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("pipeline", "Orchestrator hop latency, relay vs direct connector, metrics on vs off.")
        {
            hopSamples, transferSamples, rounds, requests, concurrency, sameSwitch, parts,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            Console.WriteLine($"Command: omni-bench {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
            Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs, {LoadAverage.Uptime()} at start");
            var selected = parse.GetValue(parts)!.SelectMany(part => part.Split(',')).ToHashSet(StringComparer.Ordinal);
            if (selected.Contains("hop"))
            {
                await using var pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu" }, cancellationToken);
                await HopAsync(pipeline, parse.GetValue(hopSamples), cancellationToken);
            }
            if (selected.Contains("connectors"))
            {
                await ConnectorsAsync(parse.GetValue(transferSamples), cancellationToken);
            }
            if (selected.Contains("metrics"))
            {
                await MetricsOverheadAsync(parse.GetValue(rounds), parse.GetValue(requests), parse.GetValue(concurrency), parse.GetValue(sameSwitch), cancellationToken);
            }
            Console.WriteLine($"At end: {LoadAverage.Uptime()}");
            return 0;
        });
        return command;
    }

    private static async Task HopAsync(LocalPipeline pipeline, int samples, CancellationToken cancellationToken)
    {
        var (relayPeer, relayAddress) = await BareBaselines.StartStageRelayAsync(pipeline.ArStages[0].GrpcAddress, cancellationToken);
        using var relayProcess = relayPeer;
        try
        {
            using var orchestrator = new OmniClient(pipeline.Orchestrator.GrpcAddress);
            using var channel = GrpcChannel.ForAddress(pipeline.ArStages[0].GrpcAddress);
            using var relayChannel = GrpcChannel.ForAddress(relayAddress);
            var stage = new Stage.StageClient(channel);
            var relay = new Stage.StageClient(relayChannel);
            var request = new GenerateRequest { Prompt = "hi", Text = new TextParams { MaxTokens = 1, Temperature = 0 } };
            var header = new StageRequest { Prompt = "hi", Text = request.Text, Outputs = { "text" } };
            for (var i = 0; i < 20; i++)
            {
                await orchestrator.GenerateAsync(request, cancellationToken: cancellationToken);
                await DirectAsync(stage, header, cancellationToken);
                await DirectAsync(relay, header, cancellationToken);
            }
            var viaOrchestrator = new List<double>();
            var direct = new List<double>();
            var viaRelay = new List<double>();
            var inside = new List<double>();
            var unaryDirect = new List<double>();
            var unaryRelay = new List<double>();
            int[] processes = [pipeline.Orchestrator.ProcessId, relayProcess.Id, pipeline.ArStages[0].ProcessId];
            var cpuBefore = processes.Select(ProcessCpu.Milliseconds).ToArray();
            for (var i = 0; i < samples; i++)
            {
                var unary = Stopwatch.GetTimestamp();
                await stage.GetInfoAsync(new GetInfoRequest(), cancellationToken: cancellationToken);
                unaryDirect.Add(Stopwatch.GetElapsedTime(unary).TotalMilliseconds);
                unary = Stopwatch.GetTimestamp();
                await relay.GetInfoAsync(new GetInfoRequest(), cancellationToken: cancellationToken);
                unaryRelay.Add(Stopwatch.GetElapsedTime(unary).TotalMilliseconds);
                var start = Stopwatch.GetTimestamp();
                var result = await orchestrator.GenerateAsync(request, cancellationToken: cancellationToken);
                viaOrchestrator.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                inside.Add(result.Final.E2ETimeMs - result.Final.Stages[0].GenTimeMs);
                start = Stopwatch.GetTimestamp();
                await DirectAsync(stage, header, cancellationToken);
                direct.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                start = Stopwatch.GetTimestamp();
                await DirectAsync(relay, header, cancellationToken);
                viaRelay.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            Console.WriteLine();
            Console.WriteLine($"### Orchestrator hop ({samples} interleaved triples, text request of 1 token)");
            Console.WriteLine("| path | p50 ms | p90 ms | p50 added over direct | median of per-triple differences |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            Console.WriteLine(Row("client -> AR stage (direct)", direct, direct));
            Console.WriteLine(Row("client -> bare gRPC relay -> AR stage", viaRelay, direct));
            Console.WriteLine(Row("client -> orchestrator -> AR stage", viaOrchestrator, direct));
            Console.WriteLine(Row("unary GetInfo: client -> AR stage", unaryDirect, unaryDirect));
            Console.WriteLine(Row("unary GetInfo: client -> bare gRPC relay -> AR stage", unaryRelay, unaryDirect));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Inside the orchestrator (its e2e less its AR call): p50 {Median(inside):F3} ms"));
            var cpu = processes.Select((id, i) => (ProcessCpu.Milliseconds(id) - cpuBefore[i]) / samples).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CPU per triple: orchestrator {cpu[0]:F3} ms (one streamed request, and its replicas' load reports), bare relay {cpu[1]:F3} ms (one streamed and one unary call), AR stage {cpu[2]:F3} ms (all five calls)"));
        }
        finally
        {
            relayProcess.Kill();
            await relayProcess.WaitForExitAsync(CancellationToken.None);
        }
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

    private static async Task ConnectorsAsync(int samples, CancellationToken cancellationToken)
    {
        var (arModel, diffusionModel) = WideModels.EnsureWritten(cacheDirectory: null);
        await using var wide = await LocalPipeline.StartAsync(new LocalPipelineOptions
        {
            Device = "cpu",
            ArModelDirectory = arModel,
            DiffusionModelDirectory = diffusionModel,
        }, cancellationToken);
        await using var direct = await wide.StartOrchestratorAsync(["--connector", "direct"], cancellationToken);
        await using var bare = await BareBaselines.StartAsync(cancellationToken);
        using var relayClient = new OmniClient(wide.Orchestrator.GrpcAddress);
        using var directClient = new OmniClient(direct.GrpcAddress);
        var request = new GenerateRequest
        {
            Prompt = WideModels.Prompt,
            Image = new ImageParams { Width = 64, Height = 64, NumInferenceSteps = 1, Seed = 1 },
        };
        request.Outputs.Add(Modality.Image);

        var durations = new Dictionary<string, List<double>> { ["relay"] = [], ["direct"] = [], ["bare stream"] = [], ["bare relay"] = [] };
        TransferReport? shape = null;
        byte[] payload = [];
        for (var i = 0; i < samples + 2; i++)
        {
            var viaRelay = Assert("relay", (await relayClient.GenerateAsync(request, cancellationToken: cancellationToken)).Final.Transfers.Single());
            var viaDirect = Assert("direct", (await directClient.GenerateAsync(request, cancellationToken: cancellationToken)).Final.Transfers.Single());
            if (shape is null)
            {
                shape = viaRelay;
                payload = new byte[shape.Bytes];
                new Random(7).NextBytes(payload);
            }
            var stream = await bare.StreamAsync(payload, cancellationToken);
            var relayed = await bare.RelayAsync(payload, cancellationToken);
            if (i >= 2)
            {
                durations["relay"].Add(viaRelay.DurationMs);
                durations["direct"].Add(viaDirect.DurationMs);
                durations["bare stream"].Add(stream);
                durations["bare relay"].Add(relayed);
            }
        }

        var megabytes = shape!.Bytes / 1e6;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"### Connectors: {shape.Bytes / 1048576.0:F2} MiB of hidden states per request in {shape.Chunks} chunks ({samples} interleaved rounds)"));
        Console.WriteLine("| path | processes | transfer ms p50 | min..max | MB/s at p50 | vs its baseline (ratio of medians) | median of per-round ratios |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var (name, processes, baseline) in new[]
        {
            ("bare stream", "2 (bench -> receiver)", (string?)null),
            ("direct", "AR -> diffusion", "bare stream"),
            ("bare relay", "3 (bench -> relay -> receiver)", null),
            ("relay", "AR -> orchestrator -> diffusion", "bare relay"),
        })
        {
            var values = durations[name];
            var p50 = Median(values);
            var ratio = baseline is null ? "" : $"{Median(durations[baseline]) / p50:F3}";
            var perRound = baseline is null ? "" : $"{Median(durations[baseline].Zip(values, (b, v) => b / v).ToList()):F3}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {processes} | {p50:F1} | {values.Min():F1}..{values.Max():F1} | {megabytes / (p50 / 1000):F0} | {ratio} | {perRound} |"));
        }
    }

    private static TransferReport Assert(string connector, TransferReport report) =>
        report.Connector == connector && report.DurationMs > 0
            ? report
            : throw new InvalidOperationException($"Expected a {connector} transfer with a duration, got {report}.");

    private static async Task MetricsOverheadAsync(int rounds, int requests, int concurrency, bool sameSwitch, CancellationToken cancellationToken)
    {
        var request = new GenerateRequest
        {
            Prompt = "A small house by the sea",
            Text = new TextParams { MaxTokens = 8, Temperature = 0 },
            Image = new ImageParams { Width = 64, Height = 64, NumInferenceSteps = 2, Seed = 3 },
        };
        request.Outputs.Add(Modality.Text);
        request.Outputs.Add(Modality.Image);
        // A control run with metrics on in both pipelines (--a-a) showed the first pipeline started ~2.5% slower than
        // the second, as large as the question asked. Each half therefore starts the two pipelines in the other order,
        // and the geometric mean of the halves' ratios cancels that bias.
        var halves = new List<MetricsHalf>();
        foreach (var onFirst in new[] { true, false })
        {
            halves.Add(await MetricsHalfAsync(onFirst, rounds / 2, requests, concurrency, sameSwitch, request, cancellationToken));
        }

        Console.WriteLine();
        Console.WriteLine($"### Metric collection {(sameSwitch ? "on vs on (control)" : "on vs off")} ({rounds} alternating rounds of {requests} text+image request(s), {concurrency} in flight, in two halves)");
        Console.WriteLine("| half | started first | on: requests/s (median) | off: requests/s (median) | on/off, ratio of medians | on/off, all requests / all seconds | on/off, median of per-round ratios | on/off CPU per request (totals) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (half, index) in halves.Select((half, index) => (half, index + 1)))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {index} | {(half.OnFirst ? "on" : "off")} | {Median(half.On):F3} | {Median(half.Off):F3} | {half.RatioOfMedians:F4} | {half.OverallRatio:F4} | {half.MedianPerRound:F4} | {half.CpuRatio:F4} |"));
        }
        double Combined(Func<MetricsHalf, double> ratio) => Math.Sqrt(ratio(halves[0]) * ratio(halves[1]));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| both (geometric mean) | | | | {Combined(h => h.RatioOfMedians):F4} | {Combined(h => h.OverallRatio):F4} | {Combined(h => h.MedianPerRound):F4} | {Combined(h => h.CpuRatio):F4} |"));
        MetricCost(halves.Average(half => half.ObservationsPerRequest), halves.Average(half => half.CpuMsPerRequest));
    }

    private sealed record MetricsHalf(bool OnFirst, List<double> On, List<double> Off, double CpuRatio, double CpuMsPerRequest, double ObservationsPerRequest)
    {
        public double RatioOfMedians => Median(On) / Median(Off);

        /// <summary>Requests / seconds over every round (with one request a round, 1 / mean latency).</summary>
        public double OverallRatio => Off.Sum(rate => 1 / rate) / On.Sum(rate => 1 / rate);

        public double MedianPerRound => Median(On.Zip(Off, (a, b) => a / b).ToList());
    }

    private static async Task<MetricsHalf> MetricsHalfAsync(bool onFirst, int rounds, int requests, int concurrency, bool sameSwitch,
        GenerateRequest request, CancellationToken cancellationToken)
    {
        // Their stages wait passively between parallel regions: with six processes on two cores, spinning OpenMP
        // workers made per-round throughput swing by +-15%; the metrics' code does not depend on it.
        var waitPolicy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", "PASSIVE");
        string[] switches = sameSwitch ? [] : ["--disable-log-stats"];
        var withOptions = new LocalPipelineOptions { Device = "cpu" };
        var withoutOptions = new LocalPipelineOptions { Device = "cpu", OrchestratorArgs = switches, ArArgs = switches, DiffusionArgs = switches };
        LocalPipeline first, second;
        try
        {
            first = await LocalPipeline.StartAsync(onFirst ? withOptions : withoutOptions, cancellationToken);
            second = await LocalPipeline.StartAsync(onFirst ? withoutOptions : withOptions, cancellationToken);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", waitPolicy);
        }
        await using var disposeFirst = first;
        await using var disposeSecond = second;
        var (withMetrics, without) = onFirst ? (first, second) : (second, first);
        var pipelines = new[] { ("on", withMetrics), ("off", without) };
        var throughput = new Dictionary<string, List<double>> { ["on"] = [], ["off"] = [] };
        var cpu = new Dictionary<string, double> { ["on"] = 0, ["off"] = 0 };
        var observationsBefore = 0.0;
        for (var round = 0; round <= rounds; round++)
        {
            if (round == 1)
            {
                observationsBefore = await HistogramObservationsAsync(withMetrics, cancellationToken);
            }
            foreach (var (name, pipeline) in round % 2 == 0 ? pipelines : pipelines.Reverse())
            {
                using var client = new OmniClient(pipeline.Orchestrator.GrpcAddress);
                var cpuBefore = CpuTime(pipeline);
                var start = Stopwatch.GetTimestamp();
                var pending = Enumerable.Range(0, concurrency).Select(async _ =>
                {
                    for (var i = 0; i < requests / concurrency; i++)
                    {
                        await client.GenerateAsync(request, cancellationToken: cancellationToken);
                    }
                });
                await Task.WhenAll(pending);
                if (round > 0)
                {
                    throughput[name].Add(requests / Stopwatch.GetElapsedTime(start).TotalSeconds);
                    cpu[name] += (CpuTime(pipeline) - cpuBefore).TotalMilliseconds;
                }
            }
        }
        var observations = await HistogramObservationsAsync(withMetrics, cancellationToken) - observationsBefore;
        return new MetricsHalf(onFirst, throughput["on"], throughput["off"], cpu["on"] / cpu["off"], cpu["on"] / (rounds * requests),
            observations / (rounds * requests));
    }

    /// <summary>The histogram observations the pipeline's three processes have made so far (every vllm: family's _count).</summary>
    private static async Task<double> HistogramObservationsAsync(LocalPipeline pipeline, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        double observations = 0;
        foreach (var service in pipeline.All)
        {
            var text = await http.GetStringAsync(service.MetricsAddress, cancellationToken);
            foreach (var line in text.Split('\n'))
            {
                var space = line.LastIndexOf(' ');
                var name = line.Split('{', ' ')[0];
                if (line.StartsWith("vllm:", StringComparison.Ordinal) && name.EndsWith("_count", StringComparison.Ordinal) && space > 0)
                {
                    observations += double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
                }
            }
        }
        return observations;
    }

    /// <summary>
    /// The metrics' cost from below the noise: what one observation costs here (a cached labelled child, and a label
    /// look-up for comparison), times the observations a request made during the rounds.
    /// </summary>
    private static void MetricCost(double perRequest, double cpuMsPerRequest)
    {
        var registry = new Omni.Common.Metrics.MetricRegistry();
        var family = registry.Histogram(Omni.Common.Metrics.MetricCatalog.OmniE2eLatency);
        var labels = Enumerable.Range(0, family.Definition.LabelNames.Length).Select(i => $"value-{i}").ToArray();
        var cached = family.WithLabels(labels);
        const int Iterations = 2_000_000;
        double ObserveNs(Action<int> observe)
        {
            var best = double.MaxValue;
            for (var run = 0; run < 5; run++)
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < Iterations; i++)
                {
                    observe(i);
                }
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalNanoseconds / Iterations);
            }
            return best;
        }
        var cachedNs = ObserveNs(i => cached.Observe(i & 1023));
        var lookupNs = ObserveNs(i => family.WithLabels(labels).Observe(i & 1023));
        // Counters and gauges change at most as often as the histograms observe: allow as many again.
        var costMs = perRequest * 2 * cachedNs / 1e6;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Metric cost: {perRequest:F1} histogram observations per request over the three processes; an observation costs {cachedNs:F1} ns on a cached labelled child ({lookupNs:F1} ns with a label look-up); allowing as many counter and gauge updates again, {costMs * 1000:F2} us per request, {100 * costMs / cpuMsPerRequest:F4}% of the {cpuMsPerRequest:F1} CPU ms a request costs"));
    }

    /// <summary>User + system CPU time of the pipeline's processes so far (the CPU a request costs, which on a saturated machine sets throughput).</summary>
    private static TimeSpan CpuTime(LocalPipeline pipeline) =>
        pipeline.All.Aggregate(TimeSpan.Zero, (sum, service) =>
        {
            using var process = System.Diagnostics.Process.GetProcessById(service.ProcessId);
            return sum + process.TotalProcessorTime;
        });

    private static string Row(string name, List<double> values, List<double> direct) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {Median(values):F3} | {Percentile(values, 0.9):F3} | {Median(values) - Median(direct):F3} | {Median(values.Zip(direct, (a, b) => a - b).ToList()):F3} |");

}
