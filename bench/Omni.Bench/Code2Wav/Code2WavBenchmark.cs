using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Omni.Code2Wav.Engine;
using Omni.Code2Wav.Model;
using static Omni.Bench.Measuring.Statistics;

namespace Omni.Bench.Code2Wav;

/// <summary>
/// `omni-bench code2wav`: the vocoder alone, as the speech path will drive it. Each of N concurrent streams hands the
/// engine loop its codec frames in chunks of C frames, all at once (the talker far ahead); per stream: the time to its
/// first chunk's samples and the real-time factor (wall time to the last chunk over the audio's duration).
/// </summary>
public static class Code2WavBenchmark
{
    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "Audio per stream.", DefaultValueFactory = _ => 4 };
        var command = new Command("code2wav", "The vocoder: first-chunk latency and real-time factor by chunk size and concurrent streams.") { seconds };
        command.SetAction(async (parse, cancellationToken) =>
        {
            Console.WriteLine($"Command: omni-bench {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
            Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs, {Measuring.LoadAverage.Uptime()} at start");
            using var engine = Code2WavEngine.Load(new Code2WavEngineOptions { Device = "cpu" });
            var frames = (int)(parse.GetValue(seconds) * engine.SampleRate / engine.Config.HopLength);
            Console.WriteLine();
            Console.WriteLine($"### Vocoder ({engine.ModelName}, {engine.DeviceName}, {frames} frames = {parse.GetValue(seconds):F1} s per stream, batch up to 16)");
            Console.WriteLine("| chunk frames | streams | first chunk p50 ms | first chunk max ms | RTF p50 | RTF max |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
            using var loop = engine.CreateLoop(maxBatchSize: 16, maxWaiting: 100_000, observer: null);
            loop.Start();
            await RunAsync(engine, loop, 25, 1, frames, cancellationToken); // warm-up
            foreach (var chunk in new[] { 5, 25, 50 })
            {
                foreach (var streams in new[] { 1, 4, 16 })
                {
                    var (first, rtf) = await RunAsync(engine, loop, chunk, streams, frames, cancellationToken);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {chunk} | {streams} | {Median(first):F1} | {first.Max():F1} | {Median(rtf):F3} | {rtf.Max():F3} |"));
                }
            }
            Console.WriteLine($"At end: {Measuring.LoadAverage.Uptime()}");
            return 0;
        });
        return command;
    }

    private static async Task<(List<double> FirstMs, List<double> Rtf)> RunAsync(Code2WavEngine engine, Code2WavEngineLoop loop, int chunk, int streams,
        int frames, CancellationToken cancellationToken)
    {
        var random = new Random(chunk * 100 + streams);
        var start = Stopwatch.GetTimestamp();
        var runs = Enumerable.Range(0, streams).Select(_ =>
        {
            var stream = engine.OpenStream();
            var codes = Enumerable.Range(0, frames).Select(_ => random.Next(engine.CodebookSize)).ToArray();
            return codes.Chunk(chunk).Select(part => loop.SubmitAsync(stream.Prepare(part), cancellationToken)).ToArray();
        }).ToArray();
        var first = new List<double>();
        var rtf = new List<double>();
        var audioSeconds = frames * engine.Config.HopLength / (double)engine.SampleRate;
        foreach (var chunks in runs)
        {
            await chunks[0].ConfigureAwait(false);
            first.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        foreach (var chunks in runs)
        {
            await Task.WhenAll(chunks).ConfigureAwait(false);
            rtf.Add(Stopwatch.GetElapsedTime(start).TotalSeconds / audioSeconds);
        }
        return (first, rtf);
    }
}
