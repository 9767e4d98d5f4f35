using Omni.ArStage.Engine;
using Omni.ArStage.Model;
using Omni.ArStage.Serving;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>The requests an AR stage runs through its engine before it serves (<see cref="ArEngine.WarmUp"/>).</summary>
public sealed class WarmUpTests : IDisposable
{
    private readonly TempDirectory _cache = new();

    public void Dispose() => _cache.Dispose();

    [Fact]
    public void WarmUp_Engine_RunsStepsTheObserverNeverSees()
    {
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(observer: observer);
        var config = observer.CacheConfig;

        engine.WarmUp();

        Assert.True(engine.EngineSteps > 0);
        Assert.Equal((0, 0, 0, 0), (observer.Steps.Count, observer.Finished.Count, observer.FirstTokens, observer.InterTokenLatencies));
        Assert.Same(config, observer.CacheConfig);
    }

    [Fact]
    public void WarmUp_ThenARequest_ObserverSeesThatRequestOnly()
    {
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(observer: observer);
        engine.WarmUp();

        engine.Generate(new GenerationRequest("Rain") { Temperature = 0, MaxTokens = 3, IgnoreEos = true }, null, CancellationToken.None);

        Assert.Equal((1, 3, 1), (observer.Finished.Count, observer.Finished.Single().GenerationTokens, observer.FirstTokens));
    }

    [Fact]
    public void WarmUp_LeavesNoBlockInThePrefixCache()
    {
        using var engine = TestEngines.Qwen2Tiny(options => options with { BlockSize = 4 });
        engine.WarmUp();

        // The warm-up's prompts are token ids 1, 2, ...: a prompt beginning with them finds nothing cached.
        var result = engine.Generate(new GenerationRequest("") { PromptTokenIds = [.. Enumerable.Range(1, 12)], Temperature = 0, MaxTokens = 1 },
            null, CancellationToken.None);

        Assert.Equal(0, result.CachedPromptTokens);
        Assert.Equal(0, engine.State.KvCacheUsage);
    }

    [Fact]
    public void WarmUp_OneRequestAtATime_RunsThemInTurn()
    {
        using var engine = TestEngines.Qwen2Tiny(options => options with { MaxNumSeqs = 1, MaxWaiting = 0 });

        engine.WarmUp();

        Assert.True(engine.EngineSteps > 0);
    }

    [Fact]
    public void WarmUp_Talker_RunsOnPromptEmbeddings()
    {
        using var talker = ArEngine.Load(new ArEngineOptions { ModelDirectory = DefaultTalkerModel.EnsureCreated(_cache.Path), Device = "cpu", NumKvBlocks = 64 });

        talker.WarmUp();

        Assert.True(talker.EngineSteps > 0);
    }

    [Fact]
    public void ArStageOptions_WarmUp_OnByDefaultAndSwitched()
    {
        Assert.True(new ArStageOptions().WarmUp);
        Assert.Equal("Model:WarmUp", ArStageSwitches.All["--warm-up"]);
    }
}
