using Omni.ArStage.Engine;
using Omni.ArStage.Model;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>The built-in talker: the AR engine over codec codes, prompted with the thinker's hidden states.</summary>
[Collection(DefaultModelCollection.Name)]
public sealed class TalkerModelTests(DefaultModelEngineFixture thinker) : IDisposable
{
    private readonly TempDirectory _cache = new();

    public void Dispose() => _cache.Dispose();

    [Fact]
    public void Generate_ThinkerHiddenStates_CodecCodesUntilEndOfSpeechTheSameForTheSameSeed()
    {
        var states = thinker.Engine.Generate(new GenerationRequest("Say hello to the world.") { Temperature = 0, MaxTokens = 6, ReturnHiddenStates = true },
            null, CancellationToken.None).HiddenStates!;
        using var talker = ArEngine.Load(new ArEngineOptions { ModelDirectory = DefaultTalkerModel.EnsureCreated(_cache.Path), Device = "cpu", NumKvBlocks = 256 });
        var request = new GenerationRequest("")
        {
            PromptEmbeddings = new PromptEmbeddings(states.Data, states.Tokens, states.Width),
            Temperature = 0.9f,
            TopK = 50,
            Seed = 11,
            MaxTokens = 60,
        };

        var first = TestEngines.RunAlone(talker, [request])[0];
        var second = TestEngines.RunAlone(talker, [request])[0];

        Assert.Equal(first, second);
        Assert.NotEmpty(first);
        Assert.All(first.SkipLast(1), code => Assert.InRange(code, 0, DefaultTalkerModel.CodebookSize - 1));
        Assert.InRange(first[^1], 0, DefaultTalkerModel.EndOfSpeechCode);
    }

    [Fact]
    public void Load_DefaultTalker_TakesTheThinkersWidthThroughItsProjection()
    {
        using var talker = ArEngine.Load(new ArEngineOptions { ModelDirectory = DefaultTalkerModel.EnsureCreated(_cache.Path), Device = "cpu", NumKvBlocks = 64 });

        var error = Assert.Throws<ArgumentException>(() =>
        {
            _ = talker.GenerateAsync(new GenerationRequest("") { PromptEmbeddings = new PromptEmbeddings(new float[128], 1, 128) }, null, CancellationToken.None);
        });

        Assert.Equal((128, DefaultModel.Config.HiddenSize, DefaultTalkerModel.CodebookSize + 1), (talker.HiddenSize, talker.PromptEmbeddingWidth, talker.VocabSize));
        Assert.Contains("must be [rows >= 1, 256]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ConfigWithPromptEmbeddingSize_RoundTrips()
    {
        var parsed = TransformerConfig.Parse(DefaultTalkerModel.Config.ToJson());

        Assert.Equal(256, parsed.PromptEmbeddingSize);
        Assert.Equal(DefaultTalkerModel.Config.ToJson(), parsed.ToJson());
    }
}
