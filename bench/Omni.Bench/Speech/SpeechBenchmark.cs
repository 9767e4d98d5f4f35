using System.CommandLine;
using System.Globalization;
using Omni.Cli.Client;
using Omni.Cli.Launching;
using Omni.Contracts.V1;
using static Omni.Bench.Measuring.Statistics;

namespace Omni.Bench.Speech;

/// <summary>
/// `omni-bench speech`: speech end to end through the real processes (`omni up`'s pipeline: thinker, talker, code2wav
/// behind the orchestrator, all on the CPU). For each chunk size and number of concurrent requests, every request asks
/// for a short answer spoken at a fixed length (greedy talker, so that no request ends its speech early); per request,
/// on the client's clock: the audio's time to first packet, and the real-time factor (arrival of the last chunk over
/// the audio's duration). The orchestrator's own figures (vllm:omni_audio_*) measure the same intervals from arrival.
/// </summary>
public static class SpeechBenchmark
{
    public static Command Create()
    {
        var seconds = new Option<float>("--seconds") { Description = "Audio per request.", DefaultValueFactory = _ => 4 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per point (medians over every request of every round).", DefaultValueFactory = _ => 2 };
        var command = new Command("speech", "Speech end to end: audio TTFP and real-time factor by chunk size and concurrent requests.") { seconds, rounds };
        command.SetAction(async (parse, cancellationToken) =>
        {
            Console.WriteLine($"Command: omni-bench {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
            Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs, {Measuring.LoadAverage.Uptime()} at start");
            await using var pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu", Speech = true }, cancellationToken);
            using var client = new OmniClient(pipeline.Orchestrator.GrpcAddress);
            var audioSeconds = parse.GetValue(seconds);
            await RunAsync(client, 25, 1, audioSeconds, 0, cancellationToken); // warm-up
            Console.WriteLine();
            Console.WriteLine($"### Speech end to end ({audioSeconds:F1} s of audio per request, 8 thinker tokens, greedy talker, PCM)");
            Console.WriteLine("| chunk frames | concurrent | audio TTFP p50 ms | TTFP max ms | RTF p50 | RTF max | e2e p50 ms |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var chunk in new[] { 5, 25, 50 })
            {
                foreach (var concurrent in new[] { 1, 4, 16 })
                {
                    var results = new List<GenerateResult>();
                    for (var round = 0; round < parse.GetValue(rounds); round++)
                    {
                        results.AddRange(await RunAsync(client, chunk, concurrent, audioSeconds, round, cancellationToken));
                    }
                    var ttfp = results.Select(result => result.FirstAudio!.Value.TotalMilliseconds).ToList();
                    var rtf = results.Select(result => result.LastAudio!.Value.TotalSeconds / result.Final.AudioDurationSeconds).ToList();
                    var e2e = results.Select(result => result.Final.E2ETimeMs).ToList();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {chunk} | {concurrent} | {Median(ttfp):F0} | {ttfp.Max():F0} | {Median(rtf):F3} | {rtf.Max():F3} | {Median(e2e):F0} |"));
                }
            }
            Console.WriteLine($"At end: {Measuring.LoadAverage.Uptime()}");
            return 0;
        });
        return command;
    }

    private static async Task<GenerateResult[]> RunAsync(OmniClient client, int chunkFrames, int concurrent, float seconds, int round,
        CancellationToken cancellationToken)
    {
        var requests = Enumerable.Range(0, concurrent).Select(i =>
        {
            var request = new GenerateRequest
            {
                Prompt = $"Tell me about request {round}-{i}",
                Text = new TextParams { MaxTokens = 8, Seed = (ulong)i },
                Audio = new AudioParams { MaxDurationSeconds = seconds, ChunkFrames = (uint)chunkFrames, Temperature = 0, RepetitionPenalty = 1 },
            };
            request.Outputs.Add(Modality.Audio);
            return client.GenerateAsync(request, cancellationToken: cancellationToken);
        });
        var results = await Task.WhenAll(requests);
        var expected = (long)Math.Round(seconds * 24000);
        foreach (var result in results)
        {
            var samples = result.AudioChunks.Sum(chunk => (long)chunk.Samples);
            if (samples != expected)
            {
                // A greedy talker that ended early would make the RTF incomparable between points: say so rather than average it in.
                Console.Error.WriteLine($"note: a request produced {samples} samples, not {expected}");
            }
        }
        return results;
    }
}
