using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>
/// What a GPU punishes, held on the CPU: each device-to-host copy of engine results is a synchronisation there. The
/// budget per engine step: one (the sampled ids) for plain sampling; logprobs add three (chosen, top values, top
/// ids); hidden states one. Every host copy goes through one place (HostCopies), so none can hide from the count.
/// </summary>
public sealed class HostCopiesTests
{
    private static readonly string[] Prompts = ["The harbor at dawn", "A quiet street", "Rain on the window", "An old lighthouse"];

    private static (long Copies, long Steps) Measure(ArEngine engine, Func<int, GenerationRequest> request)
    {
        var (copies, steps) = (engine.EngineThreadHostCopies, engine.EngineSteps);
        TestEngines.RunTogether(engine, [.. Enumerable.Range(0, Prompts.Length).Select(request)]);
        return (engine.EngineThreadHostCopies - copies, engine.EngineSteps - steps);
    }

    [Fact]
    public void Decode_PlainSampling_OneCopyPerStep()
    {
        using var engine = TestEngines.Qwen2Tiny();

        var (copies, steps) = Measure(engine, i => new GenerationRequest(Prompts[i]) { Temperature = 0.8f, Seed = (ulong)i, TopK = 20, MaxTokens = 12 });

        Assert.True(steps >= 12, $"{steps} steps");
        Assert.Equal(steps, copies);
    }

    [Fact]
    public void Decode_WithLogprobs_FourCopiesPerStep()
    {
        using var engine = TestEngines.Qwen2Tiny();

        var (copies, steps) = Measure(engine, i => new GenerationRequest(Prompts[i]) { Temperature = 0, Logprobs = 2, MaxTokens = 8 });

        Assert.Equal(4 * steps, copies);
    }

    [Fact]
    public void Decode_WithHiddenStates_TwoCopiesPerStepButTheLast()
    {
        using var engine = TestEngines.Qwen2Tiny();

        var (copies, steps) = Measure(engine, i => new GenerationRequest(Prompts[i]) { Temperature = 0, ReturnHiddenStates = true, MaxTokens = 8 });

        // The last step runs the last sampled tokens through the model for their states only: it samples nothing.
        Assert.Equal(2 * steps - 1, copies);
    }
}
