using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>
/// The other half of what a GPU punishes (see <see cref="HostCopiesTests"/>): each host-to-device upload is a copy to
/// queue, and from pageable memory a synchronisation. The budget per engine step, whatever the batch: one upload for
/// the forward pass's inputs and the rows read after it; random sampling adds one (every row's parameters and uniform
/// number), penalties one (every row's penalties and tokens).
/// </summary>
public sealed class DeviceUploadsTests
{
    // Lengths that put the sequences' attention tiles in different groups.
    private static readonly string[] Prompts =
    [
        "The harbor at dawn",
        "A quiet street with rows of old houses, their shutters painted green and their doors left open to the morning air",
        "Rain",
        "An old lighthouse stood on the rocks at the end of the long pier, and every night its keeper climbed the stairs to light it again",
    ];

    private static (long Uploads, long Steps) Measure(ArEngine engine, Func<int, GenerationRequest> request)
    {
        var (uploads, steps) = (engine.EngineThreadUploads, engine.EngineSteps);
        TestEngines.RunTogether(engine, [.. Enumerable.Range(0, Prompts.Length).Select(request)]);
        return (engine.EngineThreadUploads - uploads, engine.EngineSteps - steps);
    }

    [Fact]
    public void Step_GreedyPromptsOfManyLengths_OneUpload()
    {
        using var engine = TestEngines.Qwen2Tiny();

        var (uploads, steps) = Measure(engine, i => new GenerationRequest(Prompts[i]) { Temperature = 0, MaxTokens = 10 });

        Assert.True(steps >= 10, $"{steps} steps");
        Assert.Equal(steps, uploads);
    }

    [Fact]
    public void Step_RandomSampling_TwoUploads()
    {
        using var engine = TestEngines.Qwen2Tiny();

        var (uploads, steps) = Measure(engine, i => new GenerationRequest(Prompts[i])
        {
            Temperature = 0.8f, Seed = (ulong)i, TopK = 20, TopP = 0.9f, MinP = 0.01f, MaxTokens = 10,
        });

        Assert.Equal(2 * steps, uploads);
    }

    [Fact]
    public void Step_RandomSamplingWithPenalties_ThreeUploads()
    {
        using var engine = TestEngines.Qwen2Tiny();

        var (uploads, steps) = Measure(engine, i => new GenerationRequest(Prompts[i])
        {
            Temperature = 0.8f, Seed = (ulong)i, RepetitionPenalty = 1.2f, FrequencyPenalty = 0.1f, PresencePenalty = 0.2f, MaxTokens = 10,
        });

        Assert.Equal(3 * steps, uploads);
    }

    [Fact]
    public void Step_WithHiddenStates_OneUpload()
    {
        using var engine = TestEngines.Qwen2Tiny();

        var (uploads, steps) = Measure(engine, i => new GenerationRequest(Prompts[i]) { Temperature = 0, ReturnHiddenStates = true, MaxTokens = 8 });

        Assert.Equal(steps, uploads);
    }
}
