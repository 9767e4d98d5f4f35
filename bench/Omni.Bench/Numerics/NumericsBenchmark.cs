using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Omni.Bench.Diffusion;
using Omni.Bench.Measuring;
using Omni.Common.Numerics;
using Omni.Contracts.V1;
using static Omni.Bench.Measuring.Statistics;

namespace Omni.Bench.Numerics;

/// <summary>
/// `omni-bench numerics`: what pinning MKL's conditional numerical reproducibility costs. One diffusion stage and one
/// AR stage process per MKL_CBWR value (the empty value leaves CNR off, as before the stages pinned it), all started
/// first; the rounds then run every value in turn, in a rotated order, so load from elsewhere and any first-in-round
/// bias hit all values alike. Per value: diffusion images/s, AR decode tokens/s at 1 and N concurrent requests, each
/// with the median of the per-round ratios to the first value, and whether the same request gave the same bytes in
/// every round (images) and alone and batched (the AR logprobs' bits).
/// </summary>
public static class NumericsBenchmark
{
    public static Command Create()
    {
        var modes = new Option<string>("--modes") { Description = "Comma-separated MKL_CBWR values; 'off' is the empty value (CNR off), the first is the baseline.", DefaultValueFactory = _ => "off,AUTO,AVX2,COMPATIBLE" };
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 5 };
        var images = new Option<int>("--images") { Description = "One-image diffusion requests per round and value.", DefaultValueFactory = _ => 4 };
        var size = new Option<int>("--size") { Description = "Image width and height.", DefaultValueFactory = _ => 256 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 10 };
        var tokens = new Option<int>("--tokens") { Description = "Tokens per AR request.", DefaultValueFactory = _ => 32 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent AR requests of the batched measurement.", DefaultValueFactory = _ => 8 };
        var maxLoad = new Option<double>("--max-load") { Description = "Wait before each round until the 1-minute load average is below this.", DefaultValueFactory = _ => 1.5 };
        var quietTimeout = new Option<int>("--quiet-timeout") { Description = "Seconds to wait for a quiet machine before measuring anyway (noted).", DefaultValueFactory = _ => 600 };
        var command = new Command("numerics", "Cost of MKL's conditional numerical reproducibility: diffusion images/s and AR tokens/s per MKL_CBWR value.")
        {
            modes, rounds, images, size, steps, tokens, concurrency, maxLoad, quietTimeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Settings(
                [.. parse.GetValue(modes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                parse.GetValue(rounds), parse.GetValue(images), parse.GetValue(size), parse.GetValue(steps), (uint)parse.GetValue(tokens),
                parse.GetValue(concurrency), parse.GetValue(maxLoad), TimeSpan.FromSeconds(parse.GetValue(quietTimeout)));
            await RunAsync(settings, cancellationToken);
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(Settings settings, CancellationToken cancellationToken)
    {
        var logDirectory = Path.Combine(Path.GetTempPath(), $"omni-bench-numerics-{Environment.ProcessId}");
        Console.WriteLine($"Command: omni-bench {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs; stage logs in {logDirectory}");
        var diffusion = new List<StageUnderTest>();
        var ar = new List<ArStageUnderTest>();
        try
        {
            foreach (var mode in settings.Modes)
            {
                var environment = new Dictionary<string, string?> { [NumericalReproducibility.Variable] = mode == "off" ? "" : mode };
                diffusion.Add(await StageUnderTest.StartAsync(1, "cpu", logDirectory, cancellationToken, environment));
                ar.Add(await ArStageUnderTest.StartAsync(logDirectory, environment, cancellationToken));
            }
            var conditioning = Conditioning(16, diffusion[0].ConditioningWidth);
            var image = new ImageParams { Width = (uint)settings.Size, Height = (uint)settings.Size, NumInferenceSteps = (uint)settings.Steps };
            var prompts = Enumerable.Range(0, settings.Concurrency).Select(i => $"Request {i} of the numerics benchmark:").ToArray();
            var count = settings.Modes.Count;
            var imagesPerSecond = Lists(count);
            var sequentialTokens = Lists(count);
            var batchedTokens = Lists(count);
            var imageBytes = new List<byte[]>[count];
            var arBits = new List<long[]>[count];
            for (var m = 0; m < count; m++)
            {
                (imageBytes[m], arBits[m]) = ([], []);
                await DiffusionRoundAsync(diffusion[m], image, conditioning, 1, cancellationToken); // warm-up
                await ar[m].GenerateAsync(prompts[0], 4, cancellationToken);
            }
            var quietAtStart = await LoadAverage.WaitBelowAsync(settings.MaxLoad, settings.QuietTimeout, cancellationToken);
            var loadAtStart = LoadAverage.Uptime() + (quietAtStart ? "" : " (never quiet)");
            for (var round = 0; round < settings.Rounds; round++)
            {
                await LoadAverage.WaitBelowAsync(settings.MaxLoad, settings.QuietTimeout, cancellationToken);
                foreach (var m in Enumerable.Range(0, count).Select(i => (i + round) % count))
                {
                    var (wall, first) = await DiffusionRoundAsync(diffusion[m], image, conditioning, settings.Images, cancellationToken);
                    imagesPerSecond[m].Add(settings.Images / wall.TotalSeconds);
                    imageBytes[m].Add(first);

                    var clock = Stopwatch.StartNew();
                    var alone = await ar[m].GenerateAsync(prompts[0], settings.Tokens, cancellationToken);
                    sequentialTokens[m].Add(settings.Tokens / clock.Elapsed.TotalSeconds);
                    clock.Restart();
                    var together = await Task.WhenAll(prompts.Select(prompt => ar[m].GenerateAsync(prompt, settings.Tokens, cancellationToken)));
                    batchedTokens[m].Add(settings.Concurrency * settings.Tokens / clock.Elapsed.TotalSeconds);
                    arBits[m].Add(alone);
                    arBits[m].Add(together[0]);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  round {round + 1}, MKL_CBWR={settings.Modes[m]}: {imagesPerSecond[m][^1]:F3} images/s, {sequentialTokens[m][^1]:F1} / {batchedTokens[m][^1]:F1} tokens/s"));
                }
            }
            Print(settings, loadAtStart, imagesPerSecond, sequentialTokens, batchedTokens, imageBytes, arBits);
        }
        finally
        {
            foreach (var stage in diffusion)
            {
                await stage.DisposeAsync();
            }
            foreach (var stage in ar)
            {
                await stage.DisposeAsync();
            }
        }
    }

    private static void Print(Settings settings, string loadAtStart, List<double>[] imagesPerSecond, List<double>[] sequentialTokens,
        List<double>[] batchedTokens, List<byte[]>[] imageBytes, List<long[]>[] arBits)
    {
        string Ratio(List<double>[] values, int m) => string.Create(CultureInfo.InvariantCulture, $"{Median(values[m].Zip(values[0], (v, b) => v / b)):F2}x");
        Console.WriteLine();
        Console.WriteLine($"Diffusion: {settings.Size}x{settings.Size}, {settings.Steps} steps, {settings.Images} one-image requests one at a time per round. " +
            $"AR (built-in model): greedy requests of {settings.Tokens} tokens, one alone, then {settings.Concurrency} at once. {settings.Rounds} rounds, every " +
            "value once per round in a rotated order; medians; 'vs first' is the median of the per-round ratios to the first value.");
        Console.WriteLine($"Load at start: {loadAtStart}");
        Console.WriteLine();
        Console.WriteLine($"| MKL_CBWR | images/s | vs first | tokens/s, 1 request | vs first | tokens/s, {settings.Concurrency} requests | vs first | same image bytes every round | same AR logprob bits alone, batched, every round |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---|---|");
        for (var m = 0; m < settings.Modes.Count; m++)
        {
            var sameImages = imageBytes[m].All(bytes => bytes.AsSpan().SequenceEqual(imageBytes[m][0]));
            var sameBits = arBits[m].All(bits => bits.AsSpan().SequenceEqual(arBits[m][0]));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {(settings.Modes[m] == "off" ? "(empty: off)" : settings.Modes[m])} | {Median(imagesPerSecond[m]):F3} | {Ratio(imagesPerSecond, m)} | " +
                $"{Median(sequentialTokens[m]):F1} | {Ratio(sequentialTokens, m)} | {Median(batchedTokens[m]):F1} | {Ratio(batchedTokens, m)} | " +
                $"{(sameImages ? "yes" : "no")} | {(sameBits ? "yes" : "no")} |"));
        }
    }

    /// <summary>Requests one at a time, seeds 0.. (request 0 identical every round); returns the wall time and request 0's image bytes.</summary>
    private static async Task<(TimeSpan Wall, byte[] First)> DiffusionRoundAsync(StageUnderTest stage, ImageParams image, IReadOnlyList<float[]> conditioning,
        int count, CancellationToken cancellationToken)
    {
        var first = new List<Image>();
        var clock = Stopwatch.StartNew();
        for (var index = 0; index < count; index++)
        {
            var request = image.Clone();
            request.Seed = (ulong)index;
            await stage.GenerateAsync(request, conditioning[index % conditioning.Count], cancellationToken, collect: index == 0 ? first : null);
        }
        return (clock.Elapsed, first[0].Data.ToByteArray());
    }

    private static List<float[]> Conditioning(int tokens, int width)
    {
        var random = new Random(99);
        return [.. Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, tokens * width).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray())];
    }

    private static List<double>[] Lists(int count) => [.. Enumerable.Range(0, count).Select(_ => new List<double>())];

    private sealed record Settings(IReadOnlyList<string> Modes, int Rounds, int Images, int Size, int Steps, uint Tokens, int Concurrency, double MaxLoad,
        TimeSpan QuietTimeout);
}
