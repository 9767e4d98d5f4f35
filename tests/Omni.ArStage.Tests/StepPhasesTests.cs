using System.Diagnostics;
using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>The engine thread's step time, split into phases for the benchmarks, accounts for its steps and no more.</summary>
public sealed class StepPhasesTests
{
    [Fact]
    public void EngineStepPhases_AfterARequest_EachPhaseTimedWithinTheRequestsTime()
    {
        using var engine = TestEngines.Qwen2Tiny();
        var before = engine.EngineStepPhases;
        var started = Stopwatch.GetTimestamp();

        engine.Generate(new GenerationRequest("The harbor at dawn") { Temperature = 0, MaxTokens = 8, IgnoreEos = true }, null, CancellationToken.None);

        var elapsed = Stopwatch.GetTimestamp() - started;
        var phases = engine.EngineStepPhases.Minus(before);
        long[] each = [phases.Schedule, phases.Prepare, phases.Issue, phases.Wait, phases.Finish];
        Assert.All(each, ticks => Assert.True(ticks > 0, $"phases {phases}"));
        Assert.True(each.Sum() <= elapsed, $"phases {phases} sum past the request's {elapsed} ticks");
    }

    [Fact]
    public void MillisecondsPerStep_TicksOverSteps_ScaledByTheStopwatch()
    {
        var second = Stopwatch.Frequency;

        var perStep = new StepPhases(second, 2 * second, 3 * second, 4 * second, 5 * second).MillisecondsPerStep(steps: 10);

        Assert.Equal((100.0, 200.0, 300.0, 400.0, 500.0), perStep);
    }
}
