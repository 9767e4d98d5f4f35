using System.Diagnostics;
using Omni.ArStage.Engine;

namespace Omni.Bench.Ar;

/// <summary>
/// Decode tokens per second of one engine with <c>concurrency</c> requests submitted together, each generating
/// exactly <c>tokens</c> tokens (greedy, end-of-sequence ignored) after a short distinct prompt. The clock starts
/// when the last request has its first token (every prompt is prefilled by then) and stops when the last one ends;
/// only the tokens generated in between count. With <c>variedPrompts</c> the prompts' lengths spread over a few hundred
/// tokens, as a serving batch's do, instead of differing by a token or two.
/// </summary>
internal static class DecodeThroughput
{
    public static double Round(ArEngine engine, int concurrency, int tokens, int round, bool variedPrompts = false)
    {
        var requests = Enumerable.Range(0, concurrency)
            .Select(i => new GenerationRequest($"Request {round}-{i}: tell me a story about the number {i * 7 + round}"
                + string.Concat(Enumerable.Repeat(", and then another one", variedPrompts ? i * 37 % 61 : 0)) + ".")
            {
                Temperature = 0,
                MaxTokens = tokens,
                IgnoreEos = true,
            })
            .ToArray();
        var stamps = requests.Select(_ => new List<long>(tokens)).ToArray();
        var tasks = requests.Select((request, i) => engine.GenerateAsync(request, _ => stamps[i].Add(Stopwatch.GetTimestamp()), CancellationToken.None));
        Task.WhenAll(tasks).GetAwaiter().GetResult();
        var decodeStart = stamps.Max(s => s[0]);
        var end = stamps.Max(s => s[^1]);
        var decoded = stamps.Sum(s => s.Count(stamp => stamp > decodeStart));
        return decoded / Stopwatch.GetElapsedTime(decodeStart, end).TotalSeconds;
    }
}
