using Omni.ArStage.Engine;
using Omni.ArStage.Model;
using Omni.ArStage.Tests.Reference;
using Omni.ArStage.Tests.Support;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>
/// The reference outputs, reached through the serving path: the request runs in the engine's batch next to other
/// requests (decodes and prefills in the same forward passes), and its ids and logprobs must still match.
/// </summary>
public sealed class BatchedFidelityTests : IClassFixture<LlamaCheckpoint>
{
    private const double Tolerance = 1e-3;
    private static readonly string[] Neighbours =
        ["The quick brown fox jumps over the lazy dog", "A", "Once upon a time, in a land far away", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"];

    private readonly LlamaCheckpoint _llama;

    public BatchedFidelityTests(LlamaCheckpoint llama) => _llama = llama;

    [Fact]
    public void GenerateAsync_Qwen2TinyInABatch_GreedyIdsAndLogprobsMatchReference()
    {
        var expected = ExpectedQwen2Tiny.Load();
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4 }, observer);

        var tokens = RunAmongNeighbours(engine, new GenerationRequest(expected.Prompt) { Temperature = 0, MaxTokens = 24, Logprobs = 5 });

        Assert.Equal(expected.TokenIds, tokens.Select(t => t.TokenId));
        for (var step = 0; step < expected.Steps.Length; step++)
        {
            var logprob = tokens[step].Logprob!;
            Assert.InRange(logprob.Logprob, expected.Steps[step].Logprob - Tolerance, expected.Steps[step].Logprob + Tolerance);
            Assert.Equal(expected.Steps[step].TokenId, logprob.Top[0].TokenId);
            Assert.Equal(5, logprob.Top.Count);
        }

        Assert.Contains(observer.Steps, step => step.Sequences == Neighbours.Length + 1);
    }

    [Fact]
    public void Forward_Qwen2TinyPromptInABatchWithOthers_LastLogitsMatchReferenceFile()
    {
        var expected = ExpectedQwen2Tiny.Load();
        var reference = ExpectedQwen2Tiny.PromptLastLogits();
        using var engine = TestEngines.Qwen2Tiny();
        var model = engine.Model;
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        using var pool = new KvBlockPool(model.Config, 16, 4, ScalarType.Float32, CPU);
        int[] other = [464, 2068, 7586, 21831, 18045, 625, 262];

        model.call(ForwardBatch.Create([new ScheduledChunk(other, 0, 6, [5, 9])], 4, CPU), pool);
        var batch = ForwardBatch.Create(
            [new ScheduledChunk(other, 6, 1, [5, 9]), new ScheduledChunk(expected.PromptIds, 0, expected.PromptIds.Length, [12])],
            4, CPU);
        var logits = model.Logits(model.call(batch, pool))[batch.RowStarts[1] + expected.PromptIds.Length - 1].data<float>().ToArray();

        Assert.True(reference.Zip(logits).Max(pair => Math.Abs(pair.First - pair.Second)) < Tolerance);
    }

    [Fact]
    public void GenerateAsync_LlamaInABatch_GreedyIdsAndLogprobsMatchFloat64Reference()
    {
        AssertMatchesReference(_llama.Directory);
    }

    [Theory]
    [InlineData("""{ "rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 16 }""")]
    [InlineData("""{ "type": "linear", "factor": 4.0 }""")]
    public void GenerateAsync_LlamaWithRopeScalingInABatch_MatchesFloat64Reference(string ropeScaling)
    {
        using var scaled = new LlamaCheckpoint(ropeScaling);

        var ids = AssertMatchesReference(scaled.Directory);

        // The scaling really changes the model: the unscaled reference disagrees somewhere.
        var prompt = new[] { 15496, 11, 995, 0 };
        var unscaled = Float64ReferenceModel.Load(_llama.Directory).Logits(prompt.Concat(ids).ToArray());
        var withScaling = Float64ReferenceModel.Load(scaled.Directory).Logits(prompt.Concat(ids).ToArray());
        Assert.True(unscaled.Zip(withScaling).Max(rows => rows.First.Zip(rows.Second).Max(p => Math.Abs(p.First - p.Second))) > 0.01);
    }

    // Greedy decoding of "Hello, world!" (GPT-2 ids 15496 11 995 0) for 8 tokens, engine vs float64 reference.
    private static int[] AssertMatchesReference(string directory)
    {
        var reference = Float64ReferenceModel.Load(directory);
        var ids = new List<int> { 15496, 11, 995, 0 };
        var expected = new List<(int Id, double Logprob)>();
        for (var step = 0; step < 8; step++)
        {
            var row = reference.Logits(ids)[^1];
            var max = row.Max();
            var id = Array.IndexOf(row, max);
            var logSumExp = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            expected.Add((id, row[id] - logSumExp));
            ids.Add(id);
        }

        using var engine = ArEngine.Load(TestEngines.Qwen2TinyOptions with { ModelDirectory = directory, BlockSize = 4 });
        var tokens = RunAmongNeighbours(engine, new GenerationRequest("Hello, world!") { Temperature = 0, MaxTokens = 8, Logprobs = 1 });

        Assert.Equal(expected.Select(e => e.Id), tokens.Select(t => t.TokenId));
        Assert.All(tokens.Zip(expected), pair => Assert.InRange(pair.First.Logprob!.Logprob, pair.Second.Logprob - Tolerance, pair.Second.Logprob + Tolerance));
        return [.. expected.Select(e => e.Id)];
    }

    private static List<GeneratedToken> RunAmongNeighbours(ArEngine engine, GenerationRequest request)
    {
        var tokens = new List<GeneratedToken>();
        var neighbours = Neighbours.Select((prompt, i) =>
            engine.GenerateAsync(new GenerationRequest(prompt) { MaxTokens = 30, Temperature = i % 2, Seed = 9 }, null, CancellationToken.None)).ToArray();
        var task = engine.GenerateAsync(request, tokens.Add, CancellationToken.None);
        Task.WhenAll([task, .. neighbours]).WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
        return tokens;
    }
}
