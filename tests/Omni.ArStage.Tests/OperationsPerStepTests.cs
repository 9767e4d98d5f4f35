using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>
/// A GPU pays per kernel launch, so without batch invariance (as on CUDA) a step's operator calls must not grow with
/// the batch's variety: every tile attends in one call per layer, whatever the sequences' lengths. Measured by the
/// tensors the engine thread creates (about one per operator call).
/// </summary>
public sealed class OperationsPerStepTests
{
    private static readonly string[] SameLength = ["The harbor at dawn", "The street at noon", "The river at dusk", "The forest at ten"];

    private static readonly string[] ManyLengths =
    [
        "The harbor at dawn",
        "A quiet street with rows of old houses, their shutters painted green and their doors left open to the morning air",
        "Rain",
        "An old lighthouse stood on the rocks at the end of the long pier, and every night its keeper climbed the stairs to light it again",
    ];

    private static double TensorsPerStep(bool batchInvariant, string[] prompts)
    {
        using var engine = TestEngines.Qwen2Tiny(options => options with { BatchInvariant = batchInvariant });
        // The first step also creates what the engine keeps (the rotary frequencies): warm up before counting.
        engine.Generate(new GenerationRequest("warm up") { Temperature = 0, MaxTokens = 2 }, _ => { }, CancellationToken.None);
        var (tensors, steps) = (engine.EngineThreadTensorsCreated, engine.EngineSteps);
        TestEngines.RunTogether(engine, [.. prompts.Select(prompt => new GenerationRequest(prompt) { Temperature = 0, MaxTokens = 10, IgnoreEos = true })]);
        return (double)(engine.EngineThreadTensorsCreated - tensors) / (engine.EngineSteps - steps);
    }

    [Fact]
    public void Step_BatchInvariantOff_SameOperationsWhateverTheLengths()
    {
        Assert.Equal(TensorsPerStep(false, SameLength), TensorsPerStep(false, ManyLengths));
    }

    [Fact]
    public void Step_BatchInvariantOn_MoreOperationsForMoreLengths()
    {
        Assert.True(TensorsPerStep(true, ManyLengths) > TensorsPerStep(true, SameLength));
    }
}
