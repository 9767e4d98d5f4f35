using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Omni.DiffusionStage.Encoding;
using Omni.DiffusionStage.Engine;
using static Omni.Bench.Measuring.Statistics;

namespace Omni.Bench.Video;

/// <summary>
/// `omni-bench video`: the video engine and the MP4 encoder in this process, as the video stage drives them. For each
/// size and batch, B clips of F frames are submitted together to an engine loop of batch size B; each clip's frames go
/// to its own ffmpeg as they are decoded. Frames/s is B*F over the wall time from submission to the last MP4 byte; the
/// split is each clip's denoising and decoding (the engine's own timings) and its encoding measured again alone: the
/// same frames fed to a fresh encoder after the run, from starting ffmpeg to its last byte (in the stage it overlaps
/// the decoding).
/// </summary>
public static class VideoBenchmark
{
    public static Command Create()
    {
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated square sizes.", DefaultValueFactory = _ => "128,256" };
        var batches = new Option<string>("--batches") { Description = "Comma-separated batch sizes; the first is the baseline.", DefaultValueFactory = _ => "1,2" };
        var frames = new Option<int>("--frames") { DefaultValueFactory = _ => 16 };
        var fps = new Option<int>("--fps") { DefaultValueFactory = _ => 8 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 20 };
        var rounds = new Option<int>("--rounds") { Description = "Measured rounds per configuration; the table shows medians.", DefaultValueFactory = _ => 3 };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cpu" };
        var command = new Command("video", "Video engine + MP4 encoding: frames/s by size and batch, and the denoise/decode/encode split.")
        {
            sizes, batches, frames, fps, steps, rounds, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            Console.WriteLine($"Command: omni-bench {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
            Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs, {Measuring.LoadAverage.Uptime()} at start");
            using var engine = DiffusionEngine.Load(new DiffusionEngineOptions { Device = parse.GetValue(device)!, BuiltInModel = BuiltInDiffusionModel.Video });
            var settings = new Settings(parse.GetValue(frames), parse.GetValue(fps), parse.GetValue(steps));
            var batchSizes = Ints(parse.GetValue(batches)!);
            Console.WriteLine();
            Console.WriteLine($"### Video ({engine.ModelName}, {engine.DeviceName}, {settings.Frames} frames at {settings.Fps} fps, {settings.Steps} steps, H.264 MP4)");
            Console.WriteLine("| size | batch | frames/s | vs batch 1 | wall p50 s | denoise p50 s | decode p50 s | encode alone p50 s | MP4 KiB |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var size in Ints(parse.GetValue(sizes)!))
            {
                await RoundAsync(engine, settings, size, 1, cancellationToken); // warm-up
                double? baseline = null;
                foreach (var batch in batchSizes)
                {
                    var results = new List<Round>();
                    for (var round = 0; round < parse.GetValue(rounds); round++)
                    {
                        results.Add(await RoundAsync(engine, settings, size, batch, cancellationToken));
                    }
                    var framesPerSecond = batch * settings.Frames / Median(results.Select(result => result.Wall.TotalSeconds));
                    baseline ??= framesPerSecond;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {size}x{size} | {batch} | {framesPerSecond:F2} | {framesPerSecond / baseline.Value:F2}x | {Median(results.Select(r => r.Wall.TotalSeconds)):F2} | " +
                        $"{Median(results.SelectMany(r => r.Denoise)):F2} | {Median(results.SelectMany(r => r.Decode)):F2} | " +
                        $"{Median(results.SelectMany(r => r.EncodeAlone)):F3} | {Median(results.SelectMany(r => r.Mp4Bytes)) / 1024:F1} |"));
                }
            }
            Console.WriteLine($"At end: {Measuring.LoadAverage.Uptime()}");
            return 0;
        });
        return command;
    }

    private sealed record Settings(int Frames, int Fps, int Steps);

    private sealed record Round(TimeSpan Wall, List<double> Denoise, List<double> Decode, List<double> EncodeAlone, List<double> Mp4Bytes);

    private static async Task<Round> RoundAsync(DiffusionEngine engine, Settings settings, int size, int batch, CancellationToken cancellationToken)
    {
        using var loop = new DiffusionEngineLoop(engine, maxBatchSize: batch, maxWaiting: 64);
        var clips = Enumerable.Range(0, batch).Select(i => new Clip(size, settings.Fps, cancellationToken)).ToList();
        var started = Stopwatch.GetTimestamp();
        var submitted = clips.Select((clip, i) => loop.SubmitAsync(Request(engine, settings, size, seed: (ulong)(i + 1)), cancellationToken, clip.Add)).ToList();
        loop.Start();
        var results = await Task.WhenAll(submitted);
        await Task.WhenAll(clips.Select(clip => clip.CompleteAsync()));
        var wall = Stopwatch.GetElapsedTime(started);

        var encodeAlone = new List<double>();
        foreach (var clip in clips)
        {
            var alone = new Clip(size, settings.Fps, cancellationToken);
            var encodeStarted = Stopwatch.GetTimestamp();
            foreach (var frame in clip.Frames)
            {
                alone.Add(frame);
            }
            await alone.CompleteAsync();
            encodeAlone.Add(Stopwatch.GetElapsedTime(encodeStarted).TotalSeconds);
        }
        return new Round(wall, [.. results.Select(result => result.ExecTime.TotalSeconds)], [.. results.Select(result => result.PostprocessTime.TotalSeconds)],
            encodeAlone, [.. clips.Select(clip => (double)clip.Bytes)]);
    }

    private static DiffusionRequest Request(DiffusionEngine engine, Settings settings, int size, ulong seed)
    {
        var random = new Random((int)seed);
        var conditioning = Enumerable.Range(0, 16 * engine.ConditioningWidth).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        return new DiffusionRequest(conditioning, 16, engine.ConditioningWidth)
        {
            Width = size, Height = size, Frames = settings.Frames, Steps = settings.Steps, Seed = seed, Format = ImageFormat.Rgb8,
        };
    }

    private static List<int> Ints(string values) =>
        values.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(value => int.Parse(value, CultureInfo.InvariantCulture)).ToList();

    /// <summary>
    /// One clip's encoder, keeping its frames for the encode-alone run. Its ffmpeg starts with the clip (before the
    /// engine's first frame), so that starting it is not charged to the decoding, which calls <see cref="Add(VideoFrame)"/>.
    /// </summary>
    private sealed class Clip
    {
        private readonly Mp4StreamEncoder _encoder;
        private long _bytes;

        public Clip(int size, int fps, CancellationToken cancellationToken)
        {
            _encoder = new Mp4StreamEncoder(size, size, fps, (piece, _) =>
            {
                Interlocked.Add(ref _bytes, piece.Length);
                return Task.CompletedTask;
            }, cancellationToken);
        }

        public List<byte[]> Frames { get; } = [];

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Add(VideoFrame frame) => Add(frame.Rgb);

        public void Add(byte[] rgb)
        {
            Frames.Add(rgb);
            _encoder.Add(rgb);
        }

        public Task CompleteAsync() => _encoder.CompleteAsync();
    }
}
