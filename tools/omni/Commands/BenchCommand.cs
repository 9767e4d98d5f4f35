using System.CommandLine;
using System.Diagnostics;
using Grpc.Net.Client;
using Omni.Cli.Bench;
using Omni.Cli.Launching;
using Omni.Common.Validation;
using Spectre.Console;

namespace Omni.Cli.Commands;

/// <summary>
/// `omni bench`: a serving benchmark against a running orchestrator (--orchestrator) or a pipeline it starts (--local):
/// a seeded workload at a rate or a concurrency, percentiles and throughput, the per-stage breakdown, goodput under
/// SLOs, and the client's counts and means checked against the services' /metrics.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var launch = new LaunchOptions();
        var orchestrator = new Option<string?>("--orchestrator") { Description = "Orchestrator gRPC address of a running pipeline." };
        var local = new Option<bool>("--local") { Description = "Start the pipeline locally (as omni up does) and benchmark it." };
        var metrics = new Option<string[]>("--metrics")
        {
            Description = "/metrics URLs to check against (default with --local: every service's).",
            AllowMultipleArgumentsPerToken = true,
        };
        var mix = new Option<string>("--mix")
        {
            Description = "Weights of text, image, text+image (both) and text+speech (speech) requests, e.g. text=3,speech=1.",
            DefaultValueFactory = _ => "text=1",
        };
        var promptWords = new Option<string>("--prompt-words") { Description = "Prompt length in words, uniform in MIN-MAX.", DefaultValueFactory = _ => "8-32" };
        var maxTokens = new Option<string>("--max-tokens") { Description = "max_tokens, uniform in MIN-MAX.", DefaultValueFactory = _ => "16-64" };
        var imageSizes = new Option<int[]>("--image-sizes") { Description = "Square image sides to draw from.", DefaultValueFactory = _ => [256], AllowMultipleArgumentsPerToken = true };
        var steps = new Option<string>("--steps") { Description = "Denoising steps, uniform in MIN-MAX.", DefaultValueFactory = _ => "20" };
        var audioSeconds = new Option<string>("--audio-seconds")
        {
            Description = "Speech requests' audio length limit (max_duration_seconds), uniform in MIN-MAX (or MIN:MAX) seconds.",
            DefaultValueFactory = _ => "2-4",
        };
        var chunkFrames = new Option<int>("--chunk-frames")
        {
            Description = $"Speech requests' codec frames per chunk, 1..{RequestLimits.MaxAudioChunkFrames}.",
            DefaultValueFactory = _ => RequestLimits.DefaultAudioChunkFrames,
        };
        var prompts = new Option<string?>("--prompts") { Description = "A JSONL file of {\"prompt\": ...} lines to draw prompts from." };
        var seed = new Option<ulong>("--seed") { Description = "Seeds the workload and the arrivals.", DefaultValueFactory = _ => 1 };
        var rate = new Option<double?>("--rate") { Description = "Requests per second (gamma arrivals; Poisson at burstiness 1)." };
        var burstiness = new Option<double>("--burstiness") { Description = "Gamma shape of the arrivals: 1 Poisson, below 1 burstier.", DefaultValueFactory = _ => 1 };
        var concurrency = new Option<int?>("--concurrency") { Description = "Clients each sending one request at a time (default 1 when no --rate)." };
        var requests = new Option<int?>("--requests") { Description = "Requests per point (default 50, or unbounded with --duration)." };
        var duration = new Option<double?>("--duration") { Description = "Seconds per point." };
        var warmup = new Option<int>("--warmup") { Description = "Requests sent first, one at a time, not counted.", DefaultValueFactory = _ => 2 };
        var timeout = new Option<double>("--timeout") { Description = "Each request's deadline, seconds.", DefaultValueFactory = _ => 300 };
        var sweep = new Option<string?>("--sweep") { Description = "Points of one run: rate=1,2,4,8 or concurrency=1,4,16,64." };
        var slo = new Option<string?>("--slo") { Description = "Objectives for goodput, e.g. ttft=1s,e2e=10s,tpot=50ms." };
        var json = new Option<string?>("--json") { Description = "Write the whole result to this JSON file." };
        var plot = new Option<string?>("--plot") { Description = "Write PNG charts to this folder." };

        var command = new Command("bench", "Benchmark a pipeline: latency percentiles, throughput, per-stage breakdown, goodput, checked against /metrics.")
        {
            orchestrator, local, metrics, mix, promptWords, maxTokens, imageSizes, steps, audioSeconds, chunkFrames, prompts, seed, rate, burstiness,
            concurrency, requests, duration, warmup, timeout, sweep, slo, json, plot,
        };
        foreach (var option in launch.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, cancellationToken) =>
        {
            var console = AnsiConsole.Console;
            if (Console.IsOutputRedirected)
            {
                // Into a file or a pipe, tables are read whole: do not wrap them at a terminal's 80 columns.
                console.Profile.Width = Math.Max(console.Profile.Width, 200);
            }
            var workloadOptions = new WorkloadOptions
            {
                Mix = LoadSweep.ParseMix(parse.GetValue(mix)!),
                PromptWords = LoadSweep.ParseRange(parse.GetValue(promptWords)!),
                MaxTokens = LoadSweep.ParseRange(parse.GetValue(maxTokens)!),
                ImageSizes = parse.GetValue(imageSizes)!,
                Steps = LoadSweep.ParseRange(parse.GetValue(steps)!),
                AudioSeconds = LoadSweep.ParseSecondsRange(parse.GetValue(audioSeconds)!, RequestLimits.MaxAudioDurationSeconds),
                ChunkFrames = parse.GetValue(chunkFrames) is var frames and >= 1 and <= RequestLimits.MaxAudioChunkFrames
                    ? frames
                    : throw new ArgumentException($"--chunk-frames must be in 1..{RequestLimits.MaxAudioChunkFrames}."),
                Prompts = parse.GetValue(prompts) is { } file ? WorkloadGenerator.ReadPrompts(file) : null,
                Seed = parse.GetValue(seed),
            };
            var loads = parse.GetValue(sweep) is { } points
                ? LoadSweep.Parse(points, parse.GetValue(burstiness))
                : [parse.GetValue(rate) is { } perSecond
                    ? new LoadShape.Rate(perSecond, parse.GetValue(burstiness))
                    : new LoadShape.Concurrency(parse.GetValue(concurrency) ?? 1)];
            var objectives = parse.GetValue(slo) is { } text ? Slo.Parse(text) : null;
            var seconds = parse.GetValue(duration);
            if (parse.GetValue(local) && workloadOptions.Mix.Speech > 0 && !parse.GetValue(launch.Speech))
            {
                throw new ArgumentException("--mix speech=W needs a pipeline that speaks: add --speech to start its talker and code2wav stages.");
            }

            LocalPipeline? pipeline = null;
            try
            {
                string address;
                IReadOnlyList<string> metricsUrls = parse.GetValue(metrics) ?? [];
                if (parse.GetValue(local))
                {
                    console.MarkupLine("Starting the pipeline locally ...");
                    pipeline = await LocalPipeline.StartAsync(launch.Build(parse, null), cancellationToken);
                    address = pipeline.Orchestrator.GrpcAddress;
                    metricsUrls = metricsUrls.Count > 0 ? metricsUrls : [.. pipeline.All.Select(service => service.MetricsAddress)];
                }
                else
                {
                    address = parse.GetValue(orchestrator) ?? throw new ArgumentException("Give --orchestrator URL or --local.");
                }

                using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
                using var http = new HttpClient();
                var started = DateTimeOffset.UtcNow;
                var results = new List<PointResult>();
                foreach (var load in loads)
                {
                    var plan = new BenchPlan(load)
                    {
                        Requests = parse.GetValue(requests) ?? (seconds is null ? 50 : null),
                        Duration = seconds is { } s ? TimeSpan.FromSeconds(s) : null,
                        Warmup = parse.GetValue(warmup),
                        RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                        Seed = workloadOptions.Seed,
                    };
                    var runner = new BenchRunner(new Contracts.V1.Omni.OmniClient(channel), new WorkloadGenerator(workloadOptions));
                    results.Add(await RunPointAsync(console, runner, plan, http, metricsUrls, objectives, cancellationToken));
                }

                ReportPrinter.Print(console, results);
                if (parse.GetValue(json) is { } jsonPath)
                {
                    BenchJson.Write(jsonPath, Environment.GetCommandLineArgs(), started, results);
                    console.MarkupLine($"Wrote {Markup.Escape(jsonPath)}");
                }
                if (parse.GetValue(plot) is { } plotDirectory)
                {
                    foreach (var path in BenchPlots.Write(plotDirectory, results))
                    {
                        console.MarkupLine($"Wrote {Markup.Escape(path)}");
                    }
                }
                var disagreements = results.SelectMany(point => point.Metrics).Count(agreement => !agreement.Agrees);
                if (disagreements > 0)
                {
                    console.MarkupLine($"[red]{disagreements} quantities disagree with /metrics.[/]");
                    return 1;
                }
                return 0;
            }
            finally
            {
                if (pipeline is not null)
                {
                    await pipeline.DisposeAsync();
                }
            }
        });
        return command;
    }

    /// <summary>Runs one point with a live progress line, and checks it against /metrics when URLs are known.</summary>
    private static async Task<PointResult> RunPointAsync(IAnsiConsole console, BenchRunner runner, BenchPlan plan, HttpClient http,
        IReadOnlyList<string> metricsUrls, Slo? objectives, CancellationToken cancellationToken)
    {
        var progress = new BenchProgress(plan.Load.ToString());
        MetricsSnapshot? before = null;
        Task<IReadOnlyList<RequestRecord>> Run() => runner.RunAsync(plan, progress.Add, cancellationToken);

        // The warm-up runs before the first scrape, so that it is in neither the client's counts nor the deltas.
        await runner.WarmUpAsync(plan, cancellationToken);
        if (metricsUrls.Count > 0)
        {
            before = await MetricsSnapshot.CaptureAsync(http, metricsUrls, cancellationToken);
        }
        IReadOnlyList<RequestRecord> records;
        if (console.Profile.Capabilities.Interactive)
        {
            records = await console.Status().StartAsync(progress.Line(), async context =>
            {
                var run = Run();
                while (!run.IsCompleted)
                {
                    await Task.WhenAny(run, Task.Delay(250, cancellationToken));
                    context.Status(progress.Line());
                }
                return await run;
            });
        }
        else
        {
            var run = Run();
            var clock = Stopwatch.StartNew();
            while (!run.IsCompleted)
            {
                await Task.WhenAny(run, Task.Delay(10_000, cancellationToken));
                if (!run.IsCompleted)
                {
                    console.WriteLine(progress.Line());
                }
            }
            records = await run;
            console.WriteLine($"{progress.Line()} in {clock.Elapsed.TotalSeconds:0.0} s");
        }

        var result = PointResult.From(plan.Load.ToString(), records, objectives);
        if (before is not null)
        {
            var after = await MetricsSnapshot.CaptureAsync(http, metricsUrls, cancellationToken);
            result = result with { Metrics = MetricAgreement.Compare(before, after, records) };
        }
        return result;
    }
}
