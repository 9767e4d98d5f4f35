using System.Diagnostics;
using Omni.ArStage.Engine;

namespace Omni.Bench.Ar;

/// <summary>
/// Generated tokens per second of one engine with <c>concurrency</c> requests submitted together, each generating
/// exactly <c>tokens</c> tokens (greedy, end-of-sequence ignored) after a short distinct prompt.
/// </summary>
internal static class DecodeThroughput
{
    public static double Round(ArEngine engine, int concurrency, int tokens, int round)
    {
        var requests = Enumerable.Range(0, concurrency)
            .Select(i => new GenerationRequest($"Request {round}-{i}: tell me a story about the number {i * 7 + round}.")
            {
                Temperature = 0,
                MaxTokens = tokens,
                IgnoreEos = true,
            })
            .ToArray();
        var started = Stopwatch.GetTimestamp();
        var results = Task.WhenAll(requests.Select(request => engine.GenerateAsync(request, null, CancellationToken.None))).GetAwaiter().GetResult();
        var elapsed = Stopwatch.GetElapsedTime(started);
        return results.Sum(r => r.CompletionTokens) / elapsed.TotalSeconds;
    }
}
