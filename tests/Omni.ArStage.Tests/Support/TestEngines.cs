using Omni.ArStage.Engine;
using Omni.ArStage.Tokenization;
using Omni.Common.Torch;

namespace Omni.ArStage.Tests.Support;

/// <summary>Engines over the small fixture checkpoints with test-sized KV pools.</summary>
internal static class TestEngines
{
    public static ArEngineOptions Qwen2TinyOptions => new()
    {
        ModelDirectory = Fixtures.Qwen2TinyDirectory,
        Device = "cpu",
        NumKvBlocks = 256,
        BlockSize = 16,
    };

    public static ArEngine Qwen2Tiny(Func<ArEngineOptions, ArEngineOptions>? configure = null, IArEngineObserver? observer = null) =>
        ArEngine.Load(configure is null ? Qwen2TinyOptions : configure(Qwen2TinyOptions), observer);

    /// <summary>
    /// The Qwen2 fixture without batch invariance, its decode steps recorded by <paramref name="record"/> (in place of
    /// CUDA graphs, which a CPU has not).
    /// </summary>
    public static ArEngine Qwen2TinyWithStepGraphs(Func<Action, IStepGraph> record, Func<ArEngineOptions, ArEngineOptions>? configure = null)
    {
        var options = Qwen2TinyOptions with { BatchInvariant = false };
        return ArEngine.Load(configure is null ? options : configure(options), Gpt2TextTokenizer.Instance, stepGraphs: record);
    }

    /// <summary>Runs requests one after another; returns each one's token ids.</summary>
    public static List<int>[] RunAlone(ArEngine engine, IReadOnlyList<GenerationRequest> requests) =>
        requests.Select(request =>
        {
            var ids = new List<int>();
            engine.Generate(request, t => ids.Add(t.TokenId), CancellationToken.None);
            return ids;
        }).ToArray();

    /// <summary>Submits every request at once (they share engine steps); returns each one's token ids and result.</summary>
    public static (List<int>[] Ids, GenerationResult[] Results) RunTogether(ArEngine engine, IReadOnlyList<GenerationRequest> requests)
    {
        var ids = requests.Select(_ => new List<int>()).ToArray();
        var tasks = requests.Select((request, i) => engine.GenerateAsync(request, t => ids[i].Add(t.TokenId), CancellationToken.None)).ToArray();
        var results = Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
        return (ids, results);
    }
}
