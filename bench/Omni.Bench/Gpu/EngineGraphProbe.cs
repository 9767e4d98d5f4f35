using Omni.ArStage.Engine;
using Omni.Bench.Ar;

namespace Omni.Bench.Gpu;

/// <summary>
/// The AR engine with decode graphs (<see cref="ArEngineOptions.CudaGraphs"/>) against the same engine without, on the
/// default model: greedy requests run together, their token ids compared. One RESULT line.
/// </summary>
internal static class EngineGraphProbe
{
    public static string Run(string device, string name, string? cacheDirectory)
    {
        var options = new ArEngineOptions
        {
            ModelDirectory = BenchModels.Directory(BenchModels.Default, cacheDirectory),
            Device = device,
            NumKvBlocks = 256,
            MaxNumSeqs = 8,
            BatchInvariant = false,
        };
        var requests = Enumerable.Range(0, 5)
            .Select(i => new GenerationRequest($"Request {i}: tell me a story" + string.Concat(Enumerable.Repeat(" about the sea", i * 3)))
            {
                Temperature = 0,
                MaxTokens = 48,
                IgnoreEos = true,
                Logprobs = 1,
            })
            .ToArray();
        var (eagerIds, _) = Generate(options, requests);
        var (graphIds, graphs) = Generate(options with { CudaGraphs = true }, requests);
        return $"RESULT cudagraph_engine device={name} graphs={graphs} same_tokens={eagerIds.SequenceEqual(graphIds)}";
    }

    private static (List<int> Ids, string Graphs) Generate(ArEngineOptions options, GenerationRequest[] requests)
    {
        using var engine = ArEngine.Load(options);
        var ids = requests.Select(_ => new List<int>()).ToArray();
        Task.WhenAll(requests.Select((request, i) => engine.GenerateAsync(request, token => ids[i].Add(token.TokenId), CancellationToken.None)))
            .GetAwaiter().GetResult();
        var (recorded, replays) = engine.DecodeGraphCounts;
        return ([.. ids.SelectMany(list => list)], $"\"{engine.CudaGraphs}\" recorded={recorded} replays={replays}");
    }
}
