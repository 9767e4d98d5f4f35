using Omni.ArStage.Engine;
using Omni.ArStage.Serving;
using Omni.ArStage.Tests.Support;
using Omni.Common.Torch;

namespace Omni.ArStage.Tests;

/// <summary>
/// Decode steps replayed from recorded step graphs (<see cref="DecodeGraphs"/>). A CPU cannot capture CUDA graphs, so
/// the recorder here keeps the step's work and reruns it on each replay: the same operations over the same input
/// buffer, refilled in place, and the same shared logits buffer, which is what a CUDA graph's replay does.
/// </summary>
public sealed class DecodeGraphsTests
{
    private static readonly string[] Prompts =
    [
        "The harbor at dawn",
        "A quiet street with rows of old houses, their shutters painted green and their doors left open to the morning air",
        "Rain",
        "An old lighthouse stood on the rocks at the end of the long pier",
        "Once upon a time",
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Generate_DecodeStepsReplayed_SameTokensAsEagerAlone(int requests)
    {
        var batch = Requests(requests, maxTokens: 40);
        using var eager = TestEngines.Qwen2Tiny(options => options with { BatchInvariant = false });
        using var graphs = TestEngines.Qwen2TinyWithStepGraphs(body => new Rerun(body));

        var expected = TestEngines.RunAlone(eager, batch);
        var (actual, _) = TestEngines.RunTogether(graphs, batch);

        Assert.Equal(expected, actual);
        Assert.True(graphs.DecodeGraphCounts.Replays > 0);
    }

    [Fact]
    public void Generate_OneRequest_OneGraphPerAttentionLengthAndEveryOtherDecodeStepReplayed()
    {
        // Prompt of 5 tokens, 40 generated: the first from the prefill, 39 decode steps at positions 5..43, whose
        // attention lengths are 16, 32 and 48.
        var request = new GenerationRequest("") { PromptTokenIds = [11, 12, 13, 14, 15], Temperature = 0, MaxTokens = 40, IgnoreEos = true };
        var recorded = 0;
        using var engine = TestEngines.Qwen2TinyWithStepGraphs(body =>
        {
            recorded++;
            return new Rerun(body);
        });

        TestEngines.RunAlone(engine, [request]);

        Assert.Equal((3, 3, 36L), (recorded, engine.DecodeGraphCounts.Graphs, engine.DecodeGraphCounts.Replays));
    }

    [Fact]
    public void Generate_RecordingFails_SameTokensEagerlyAndSaysWhy()
    {
        var (expected, actual, cudaGraphs, counts) = EagerAndWithGraphs(_ => throw new InvalidOperationException("operation not permitted when stream is capturing"));

        Assert.Equal(expected, actual);
        Assert.Equal("off (recording failed: operation not permitted when stream is capturing)", cudaGraphs);
        Assert.Equal((0, 0L), counts);
    }

    [Fact]
    public void Generate_ReplayWritesNothing_CaughtBeforeServingSameTokensEagerly()
    {
        var (expected, actual, cudaGraphs, counts) = EagerAndWithGraphs(_ => new Inert());

        Assert.Equal(expected, actual);
        Assert.StartsWith("off (recording failed: the replayed step's logits differ from the uncaptured step's by up to", cudaGraphs);
        Assert.Equal((0, 0L), counts);
    }

    [Fact]
    public void Generate_WantingHiddenStates_RunsEagerly()
    {
        var request = new GenerationRequest("Rain") { Temperature = 0, MaxTokens = 8, IgnoreEos = true, ReturnHiddenStates = true };
        using var engine = TestEngines.Qwen2TinyWithStepGraphs(body => new Rerun(body));

        var result = engine.Generate(request, _ => { }, CancellationToken.None);

        Assert.Equal((0, 0L), engine.DecodeGraphCounts);
        Assert.NotNull(result.HiddenStates);
    }

    [Fact]
    public void Load_CudaGraphsOnCpu_OffSayingWhy()
    {
        using var engine = TestEngines.Qwen2Tiny(options => options with { BatchInvariant = false, CudaGraphs = true });

        Assert.Equal("off (cpu is not a CUDA device)", engine.CudaGraphs);
    }

    [Fact]
    public void Load_RecorderWithBatchInvariance_Off()
    {
        using var engine = TestEngines.Qwen2TinyWithStepGraphs(body => new Rerun(body), options => options with { BatchInvariant = true });

        Assert.Equal("off (batch invariance)", engine.CudaGraphs);
    }

    [Fact]
    public void Load_WithGraphs_KvCacheReportsTheBlocksSequencesCanUse()
    {
        using var engine = TestEngines.Qwen2TinyWithStepGraphs(body => new Rerun(body));

        Assert.Equal(("on", TestEngines.Qwen2TinyOptions.NumKvBlocks), (engine.CudaGraphs, engine.CacheConfig.NumBlocks));
    }

    [Fact]
    public void GenerateAsync_WithGraphsRequestLargerThanTheBlocksSequencesCanUse_RejectedNamingTheCache()
    {
        // The graphs' scratch block is not the sequences': a request that fits only with it would wait for ever.
        using var engine = TestEngines.Qwen2TinyWithStepGraphs(body => new Rerun(body), options => options with { BlockSize = 4, NumKvBlocks = 4 });

        var error = Assert.Throws<ArgumentException>(() =>
        {
            _ = engine.GenerateAsync(new GenerationRequest("Hello, world!") { MaxTokens = 13 }, null, CancellationToken.None);
        });

        Assert.Contains("the KV cache's 16 token slots (4 blocks of 4)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToEngineOptions_CudaGraphs_ReachesTheEngine()
    {
        Assert.True(ArEngineLoader.ToEngineOptions(new ArStageOptions { CudaGraphs = true }).CudaGraphs);
        Assert.False(ArEngineLoader.ToEngineOptions(new ArStageOptions()).CudaGraphs);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 8)]
    [InlineData(8, 8)]
    [InlineData(9, 16)]
    [InlineData(64, 64)]
    public void PaddedRows_RowCount_OneTwoFourThenMultiplesOfEight(int rows, int expected)
    {
        Assert.Equal(expected, DecodeGraphs.PaddedRows(rows));
    }

    // Three greedy requests alone on an eager engine, and together on one recording with the given recorder.
    private static (List<int>[] Expected, List<int>[] Actual, string CudaGraphs, (int, long) Counts) EagerAndWithGraphs(Func<Action, IStepGraph> record)
    {
        var batch = Requests(3, maxTokens: 24);
        using var eager = TestEngines.Qwen2Tiny(options => options with { BatchInvariant = false });
        using var graphs = TestEngines.Qwen2TinyWithStepGraphs(record);
        var expected = TestEngines.RunAlone(eager, batch);
        var (actual, _) = TestEngines.RunTogether(graphs, batch);
        return (expected, actual, graphs.CudaGraphs, graphs.DecodeGraphCounts);
    }

    private static GenerationRequest[] Requests(int count, int maxTokens) =>
        [.. Prompts.Take(count).Select(prompt => new GenerationRequest(prompt) { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true })];

    // A graph whose replay does nothing (a capture that recorded no work).
    private sealed class Inert : IStepGraph
    {
        public void Replay()
        {
        }

        public void Dispose()
        {
        }
    }

    // The recorded step rerun on each replay, over the buffers it was recorded with.
    private sealed class Rerun(Action body) : IStepGraph
    {
        public void Replay() => body();

        public void Dispose()
        {
        }
    }
}
