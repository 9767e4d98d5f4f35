using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>A prompt given as input embeddings (vLLM's prompt embeddings), as the talker takes the thinker's states.</summary>
public sealed class PromptEmbeddingsTests
{
    private const string Prompt = "The quick brown fox jumps over the lazy dog because";

    [Fact]
    public void GenerateAsync_EmbeddingsOfThePromptsTokens_SameTokensAndHiddenStatesAsTheTokens()
    {
        using var engine = TestEngines.Qwen2Tiny();
        var byTokens = new GenerationRequest(Prompt) { Temperature = 0, MaxTokens = 12, ReturnHiddenStates = true };
        var byEmbeddings = byTokens with { PromptEmbeddings = Embed(engine, engine.Tokenize(Prompt)) };

        var tokens = new List<int>();
        var tokenResult = engine.Generate(byTokens, t => tokens.Add(t.TokenId), CancellationToken.None);
        var embedded = new List<int>();
        var embeddingResult = engine.Generate(byEmbeddings, t => embedded.Add(t.TokenId), CancellationToken.None);

        Assert.Equal(tokens, embedded);
        Assert.Equal(tokenResult.HiddenStates!.Data, embeddingResult.HiddenStates!.Data);
        Assert.Equal(tokenResult.PromptTokens, embeddingResult.PromptTokens);
    }

    [Fact]
    public void GenerateAsync_EmbeddingPromptsBatchedWithTokenPrompts_EachAsAlone()
    {
        using var engine = TestEngines.Qwen2Tiny();
        var requests = new[]
        {
            new GenerationRequest(Prompt) { Temperature = 0, MaxTokens = 8 },
            new GenerationRequest("") { Temperature = 0.8f, Seed = 3, MaxTokens = 8, PromptEmbeddings = Embed(engine, engine.Tokenize("Once upon a time")) },
            new GenerationRequest("") { Temperature = 0, MaxTokens = 8, PromptEmbeddings = Random(engine.HiddenSize, rows: 5, seed: 9) },
        };

        var alone = TestEngines.RunAlone(engine, requests);
        var (together, _) = TestEngines.RunTogether(engine, requests);

        Assert.Equal(alone, together);
    }

    [Fact]
    public void GenerateAsync_EmbeddingPrompt_NeitherSharesNorQueriesThePrefixCache()
    {
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4 }, observer);
        var request = new GenerationRequest("") { Temperature = 0, MaxTokens = 4, PromptEmbeddings = Random(engine.HiddenSize, rows: 20, seed: 1) };

        var first = TestEngines.RunAlone(engine, [request])[0];
        var result = engine.Generate(request, null, CancellationToken.None);

        Assert.Equal(0, result.CachedPromptTokens);
        Assert.Equal(0, observer.Steps.Sum(step => step.PrefixCacheQueries));
        Assert.Equal(first, TestEngines.RunAlone(engine, [request])[0]);
    }

    [Theory]
    [InlineData(5, 7, "got [5, 7]")]
    [InlineData(0, null, "got [0, ")]
    public void GenerateAsync_EmbeddingsOfAnotherShape_ThrowsNamingIt(int rows, int? otherWidth, string expected)
    {
        using var engine = TestEngines.Qwen2Tiny();
        var width = otherWidth ?? engine.HiddenSize;
        var request = new GenerationRequest("") { PromptEmbeddings = new PromptEmbeddings(new float[rows * width], rows, width) };

        var error = Assert.Throws<ArgumentException>(() => { _ = engine.GenerateAsync(request, null, CancellationToken.None); });

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GenerateAsync_NonFiniteEmbedding_ThrowsNamingTheElement()
    {
        using var engine = TestEngines.Qwen2Tiny();
        var embeddings = Random(engine.HiddenSize, rows: 2, seed: 2);
        embeddings.Data[engine.HiddenSize + 3] = float.NaN;

        var error = Assert.Throws<ArgumentException>(() => { _ = engine.GenerateAsync(new GenerationRequest("") { PromptEmbeddings = embeddings }, null, CancellationToken.None); });

        Assert.Contains($"at element {engine.HiddenSize + 3}", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The model's own embeddings of <paramref name="ids"/>, as float32 rows.</summary>
    private static PromptEmbeddings Embed(ArEngine engine, int[] ids)
    {
        using var scope = NewDisposeScope();
        var rows = engine.Model.EmbeddingWeight.index_select(0, tensor(ids.Select(id => (long)id).ToArray())).to(ScalarType.Float32).cpu();
        return new PromptEmbeddings(rows.data<float>().ToArray(), ids.Length, (int)rows.shape[1]);
    }

    private static PromptEmbeddings Random(int width, int rows, int seed)
    {
        var random = new Random(seed);
        return new PromptEmbeddings([.. Enumerable.Range(0, rows * width).Select(_ => (float)(random.NextDouble() - 0.5))], rows, width);
    }
}
