using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Omni.Bench.Measuring;
using Omni.Contracts.V1;
using static Omni.Bench.Measuring.Statistics;

namespace Omni.Bench.Diffusion;

/// <summary>
/// `omni-bench diffusion`: throughput of the real diffusion stage process per --max-batch-size (images/s, the
/// speed-up over batch size 1, the per-phase split from its own metrics), then its resident memory over a soak.
/// </summary>
public static class DiffusionBenchmark
{
    public static Command Create()
    {
        var batchSizes = new Option<string>("--batch-sizes") { Description = "Comma-separated --max-batch-size values; the first is the baseline.", DefaultValueFactory = _ => "1,2,4,8" };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 256 };
        var height = new Option<int>("--height") { DefaultValueFactory = _ => 256 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 20 };
        var images = new Option<int>("--images") { Description = "Requests per round (one image each).", DefaultValueFactory = _ => 16 };
        var rounds = new Option<int>("--rounds") { Description = "Measured rounds per batch size; the table shows the median.", DefaultValueFactory = _ => 3 };
        var tokens = new Option<int>("--tokens") { Description = "Conditioning tokens per request.", DefaultValueFactory = _ => 16 };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var maxLoad = new Option<double>("--max-load") { Description = "Wait before each configuration until the 1-minute load average is below this.", DefaultValueFactory = _ => 1.5 };
        var quietTimeout = new Option<int>("--quiet-timeout") { Description = "Seconds to wait for a quiet machine before measuring anyway (noted in the output).", DefaultValueFactory = _ => 1800 };
        var soakRequests = new Option<int>("--soak-requests") { Description = "Requests in the memory soak (0 skips it).", DefaultValueFactory = _ => 1000 };
        var soakBatchSize = new Option<int>("--soak-batch-size") { DefaultValueFactory = _ => 4 };
        var soakSamples = new Option<int>("--soak-samples") { Description = "RSS samples over the soak.", DefaultValueFactory = _ => 10 };
        var skipThroughput = new Option<bool>("--skip-throughput");
        var kernels = new Option<bool>("--kernels") { Description = "First profile the denoiser's kernels at batch 1 and 4 in this process." };
        var command = new Command("diffusion", "Diffusion stage: images/s per batch size, phase split, memory over a soak.")
        {
            batchSizes, width, height, steps, images, rounds, tokens, device, maxLoad, quietTimeout, soakRequests, soakBatchSize, soakSamples,
            skipThroughput, kernels,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var logDirectory = Path.Combine(Path.GetTempPath(), $"omni-bench-diffusion-{Environment.ProcessId}");
            Console.WriteLine($"Command: omni-bench {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
            Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs; stage logs in {logDirectory}");
            var settings = new Settings(parse.GetValue(width), parse.GetValue(height), parse.GetValue(steps), parse.GetValue(tokens),
                parse.GetValue(device)!, parse.GetValue(maxLoad), TimeSpan.FromSeconds(parse.GetValue(quietTimeout)), logDirectory);
            if (parse.GetValue(kernels))
            {
                var quiet = await LoadAverage.WaitBelowAsync(settings.MaxLoad, settings.QuietTimeout, cancellationToken);
                KernelProfile.Run(settings.Width, settings.Height, settings.Tokens, quiet);
            }
            if (!parse.GetValue(skipThroughput))
            {
                var sizes = parse.GetValue(batchSizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(size => int.Parse(size, CultureInfo.InvariantCulture)).ToList();
                await ThroughputAsync(settings, sizes, parse.GetValue(images), parse.GetValue(rounds), cancellationToken);
            }
            if (parse.GetValue(soakRequests) > 0)
            {
                await SoakAsync(settings, parse.GetValue(soakRequests), parse.GetValue(soakBatchSize), parse.GetValue(soakSamples), cancellationToken);
            }
            return 0;
        });
        return command;
    }

    /// <remarks>
    /// One stage process per batch size, all started first; then the rounds are interleaved (every batch size once
    /// per round, in turn), so that a load spike from elsewhere on the machine hits all configurations alike.
    /// </remarks>
    private static async Task ThroughputAsync(Settings settings, IReadOnlyList<int> batchSizes, int images, int rounds, CancellationToken cancellationToken)
    {
        var quiet = await LoadAverage.WaitBelowAsync(settings.MaxLoad, settings.QuietTimeout, cancellationToken);
        var loadAtStart = LoadAverage.Uptime() + (quiet ? "" : " (never quiet)");
        Console.Error.WriteLine($"starting {batchSizes.Count} stages ({loadAtStart})");
        var stages = new List<StageUnderTest>();
        try
        {
            foreach (var batchSize in batchSizes)
            {
                stages.Add(await StageUnderTest.StartAsync(batchSize, settings.Device, settings.LogDirectory, cancellationToken));
            }
            var image = new ImageParams { Width = (uint)settings.Width, Height = (uint)settings.Height, NumInferenceSteps = (uint)settings.Steps };
            var conditioning = Conditioning(8, settings.Tokens, stages[0].ConditioningWidth);
            // Concurrency 2 x batch size: a full batch runs while the next waits, so the engine never idles.
            for (var i = 0; i < stages.Count; i++)
            {
                await RoundAsync(stages[i], image, conditioning, batchSizes[i], 2 * batchSizes[i], cancellationToken); // warm-up
            }
            var before = new List<PhaseTimes>();
            foreach (var stage in stages)
            {
                before.Add(await stage.ScrapeAsync(cancellationToken));
            }
            var throughputs = batchSizes.Select(_ => new List<double>()).ToList();
            var latencies = batchSizes.Select(_ => new List<double>()).ToList();
            var loads = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                await LoadAverage.WaitBelowAsync(settings.MaxLoad, settings.QuietTimeout, cancellationToken);
                loads.Add(LoadAverage.OneMinute());
                for (var i = 0; i < stages.Count; i++)
                {
                    var (wall, roundLatencies) = await RoundAsync(stages[i], image, conditioning, images, 2 * batchSizes[i], cancellationToken);
                    throughputs[i].Add(images / wall.TotalSeconds);
                    latencies[i].AddRange(roundLatencies.Select(latency => latency.TotalMilliseconds));
                    Console.Error.WriteLine($"  round {round + 1}, batch size {batchSizes[i]}: {images / wall.TotalSeconds:F3} images/s");
                }
            }
            loads.Add(LoadAverage.OneMinute());

            var results = new List<ThroughputResult>();
            for (var i = 0; i < stages.Count; i++)
            {
                var after = await stages[i].ScrapeAsync(cancellationToken);
                var roundRatios = throughputs[i].Zip(throughputs[0], (value, baseline) => value / baseline).ToList();
                results.Add(new ThroughputResult(batchSizes[i], Median(throughputs[i]), throughputs[i].Min(), throughputs[i].Max(),
                    Median(roundRatios), Median(latencies[i]), after.MeanSince(before[i], "preprocess"), after.MeanSince(before[i], "exec"),
                    after.MeanSince(before[i], "postprocess"), after.MeanSince(before[i], "step")));
            }
            Print(settings, images, rounds, results, loadAtStart, loads);
        }
        finally
        {
            foreach (var stage in stages)
            {
                await stage.DisposeAsync();
            }
        }
    }

    private static void Print(Settings settings, int images, int rounds, List<ThroughputResult> results, string loadAtStart, List<double> loads)
    {
        var baseline = results[0].ImagesPerSecond;
        Console.WriteLine();
        Console.WriteLine($"Throughput: {settings.Width}x{settings.Height}, {settings.Steps} steps, {settings.Tokens} conditioning tokens, " +
            $"{images} one-image requests per round, {rounds} interleaved rounds (median), 2 x batch size requests in flight, device {settings.Device}.");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Load: {loadAtStart} at start; 1-minute load before each round and at the end: {string.Join(", ", loads.Select(load => load.ToString("F2", CultureInfo.InvariantCulture)))}."));
        Console.WriteLine("Phase means per request (ms) from the stage's histograms (sum/count over the measured rounds); step: per request-step.");
        Console.WriteLine();
        Console.WriteLine("vs first: ratio of the medians; per round: median of each round's ratio (the configurations of a round ran back to back).");
        Console.WriteLine();
        Console.WriteLine("| --max-batch-size | images/s (median) | min..max | vs first | per round | latency p50 ms | preprocess ms | exec ms | postprocess ms | step ms |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var result in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {result.BatchSize} | {result.ImagesPerSecond:F3} | {result.Min:F3}..{result.Max:F3} | {result.ImagesPerSecond / baseline:F2}x | {result.RoundRatio:F2}x | " +
                $"{result.LatencyMs:F0} | {result.PreprocessMs:F1} | {result.ExecMs:F0} | {result.PostprocessMs:F1} | {result.StepMs:F1} |"));
        }
    }

    private static async Task SoakAsync(Settings settings, int requests, int batchSize, int samples, CancellationToken cancellationToken)
    {
        var quiet = await LoadAverage.WaitBelowAsync(settings.MaxLoad, settings.QuietTimeout, cancellationToken);
        var load = LoadAverage.Uptime() + (quiet ? "" : " (never quiet)");
        Console.Error.WriteLine($"soak: starting the stage ({load})");
        await using var stage = await StageUnderTest.StartAsync(batchSize, settings.Device, settings.LogDirectory, cancellationToken);
        var conditioning = Conditioning(8, settings.Tokens, stage.ConditioningWidth);
        var negative = Conditioning(1, 5, stage.ConditioningWidth)[0];
        var perSample = Math.Max(1, requests / samples);
        var rows = new List<(int Done, long Rss)> { (0, ResidentMemory.Bytes(stage.ProcessId)) };
        var clock = Stopwatch.StartNew();
        var done = 0;
        while (done < requests)
        {
            var count = Math.Min(perSample, requests - done);
            var start = done;
            using var slots = new SemaphoreSlim(2 * batchSize);
            await Task.WhenAll(Enumerable.Range(start, count).Select(async index =>
            {
                await slots.WaitAsync(cancellationToken);
                try
                {
                    var image = SoakRequest(index);
                    await stage.GenerateAsync(image, conditioning[index % conditioning.Count], cancellationToken,
                        image.NegativePrompt.Length > 0 ? negative : null);
                }
                finally
                {
                    slots.Release();
                }
            }));
            done += count;
            rows.Add((done, ResidentMemory.Bytes(stage.ProcessId)));
            Console.Error.WriteLine($"  {done} requests: RSS {rows[^1].Rss / 1048576.0:F1} MiB");
        }

        Console.WriteLine();
        Console.WriteLine($"Memory soak: {requests} requests in {clock.Elapsed.TotalSeconds:F0} s, --max-batch-size {batchSize}, {2 * batchSize} in flight; " +
            "a fixed mix of 64x64 / 96x64, 2-4 steps, flow-matching / DDIM, guidance 1 / 3 (some with a negative prompt), 1-2 images, PNG / RGB8; " +
            "RSS of the stage process (VmRSS).");
        Console.WriteLine($"Load at start: {load}");
        Console.WriteLine();
        Console.WriteLine("| requests done | RSS MiB |");
        Console.WriteLine("|---:|---:|");
        foreach (var (requestsDone, rss) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {requestsDone} | {rss / 1048576.0:F1} |"));
        }
        var firstAfterWarmUp = rows[1].Rss;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS after the first {rows[1].Done} requests: {firstAfterWarmUp / 1048576.0:F1} MiB; after {rows[^1].Done}: {rows[^1].Rss / 1048576.0:F1} MiB " +
            $"({(rows[^1].Rss - firstAfterWarmUp) / 1048576.0:+0.0;-0.0} MiB); max {rows.Max(row => row.Rss) / 1048576.0:F1} MiB."));
    }

    /// <summary>The soak's fixed mix: request <paramref name="index"/>'s parameters.</summary>
    private static ImageParams SoakRequest(int index)
    {
        var image = new ImageParams
        {
            Width = index % 3 == 0 ? 96u : 64u,
            Height = 64,
            NumInferenceSteps = (uint)(2 + (index % 3)),
            Seed = (ulong)index,
            GuidanceScale = index % 2 == 0 ? 1f : 3f,
            Scheduler = index % 4 == 1 ? Scheduler.Ddim : Scheduler.FlowMatchEuler,
            NumImages = index % 5 == 0 ? 2u : 1u,
            OutputFormat = index % 7 == 0 ? ImageFormat.Rgb8 : ImageFormat.Png,
            // Every third guided request has a negative prompt (its hidden states follow the conditioning).
            NegativePrompt = index % 6 == 3 ? "soak" : "",
        };
        return image;
    }

    private static async Task<(TimeSpan Wall, List<TimeSpan> Latencies)> RoundAsync(StageUnderTest stage, ImageParams image,
        IReadOnlyList<float[]> conditioning, int count, int concurrency, CancellationToken cancellationToken)
    {
        using var slots = new SemaphoreSlim(concurrency);
        var latencies = new TimeSpan[count];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, count).Select(async index =>
        {
            await slots.WaitAsync(cancellationToken);
            try
            {
                var request = image.Clone();
                request.Seed = (ulong)index;
                latencies[index] = await stage.GenerateAsync(request, conditioning[index % conditioning.Count], cancellationToken);
            }
            finally
            {
                slots.Release();
            }
        }));
        return (clock.Elapsed, [.. latencies]);
    }

    /// <summary><paramref name="count"/> fixed pseudo-random [tokens, width] conditioning tensors.</summary>
    private static List<float[]> Conditioning(int count, int tokens, int width)
    {
        var random = new Random(1234);
        return Enumerable.Range(0, count)
            .Select(_ => Enumerable.Range(0, tokens * width).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray())
            .ToList();
    }

    private sealed record Settings(int Width, int Height, int Steps, int Tokens, string Device, double MaxLoad, TimeSpan QuietTimeout,
        string LogDirectory);

    private sealed record ThroughputResult(int BatchSize, double ImagesPerSecond, double Min, double Max, double RoundRatio, double LatencyMs,
        double PreprocessMs, double ExecMs, double PostprocessMs, double StepMs);
}
