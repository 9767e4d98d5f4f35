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

    private static double TensorsPerStepWithBatchInvariance(string[] prompts)
    {
        using var engine = TestEngines.Qwen2Tiny(options => options with { BatchInvariant = true });
        // The first step also creates what the engine keeps (the rotary frequencies): warm up before counting.
        engine.Generate(new GenerationRequest("warm up") { Temperature = 0, MaxTokens = 2 }, _ => { }, CancellationToken.None);
        var (tensors, steps) = (engine.EngineThreadTensorsCreated, engine.EngineSteps);
        TestEngines.RunTogether(engine, [.. prompts.Select(prompt => new GenerationRequest(prompt) { Temperature = 0, MaxTokens = 10, IgnoreEos = true })]);
        return (double)(engine.EngineThreadTensorsCreated - tensors) / (engine.EngineSteps - steps);
    }

    // Tensors per step over the steps that only decode: sampled in the token callbacks (on the engine thread, where the
    // counters are those of the steps before), from the first sample after the step that gave every request its first
    // token to the last.
    private static double TensorsPerDecodeStep(string[] prompts)
    {
        using var engine = TestEngines.Qwen2Tiny(options => options with { BatchInvariant = false });
        engine.Generate(new GenerationRequest("warm up") { Temperature = 0, MaxTokens = 2 }, _ => { }, CancellationToken.None);
        var started = new bool[prompts.Length];
        var samples = new List<(bool AllStarted, long Steps, long Tensors)>();
        var tasks = prompts.Select((prompt, i) => engine.GenerateAsync(new GenerationRequest(prompt) { Temperature = 0, MaxTokens = 12, IgnoreEos = true },
            _ =>
            {
                started[i] = true;
                samples.Add((started.All(s => s), engine.EngineSteps, engine.EngineThreadTensorsCreated));
            }, CancellationToken.None)).ToArray();
        Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
        var allStartedAt = samples.First(sample => sample.AllStarted).Steps;
        var first = samples.First(sample => sample.Steps > allStartedAt);
        var last = samples[^1];
        Assert.True(last.Steps - first.Steps >= 5, $"only {last.Steps - first.Steps} decode steps measured");
        return (double)(last.Tensors - first.Tensors) / (last.Steps - first.Steps);
    }

    [Fact]
    public void Step_BatchInvariantOff_SameOperationsWhateverTheLengths()
    {
        Assert.Equal(TensorsPerDecodeStep(SameLength), TensorsPerDecodeStep(ManyLengths));
    }

    [Fact]
    public void Step_BatchInvariantOn_MoreOperationsForMoreLengths()
    {
        Assert.True(TensorsPerStepWithBatchInvariance(ManyLengths) > TensorsPerStepWithBatchInvariance(SameLength));
    }
}
