using Microsoft.Extensions.Options;
using Omni.Common.Hosting;
using Omni.Common.Metrics;
using Omni.DiffusionStage.Engine;
using Omni.DiffusionStage.Metrics;

namespace Omni.DiffusionStage.Tests;

[Collection(DefaultEngineCollection.Name)]
public sealed class DiffusionStageMetricsTests(DefaultEngineFixture fixture)
{
    private const string Labels = "{model_name=\"omni-dit-default\",engine=\"10003\",stage_id=\"1\",replica_id=\"3\"}";

    [Fact]
    public async Task EngineLoop_TwoRequestsOfThreeSteps_ObservesTwoPerPhaseAndSixSteps()
    {
        var registry = new MetricRegistry();
        var metrics = Create(registry, disableLogStats: false);
        using var loop = new DiffusionEngineLoop(fixture.Engine, maxBatchSize: 2, maxWaiting: 4, metrics);
        loop.Start();

        await Task.WhenAll(
            loop.SubmitAsync(DefaultEngineFixture.SmallRequest(seed: 1) with { Steps = 3 }, CancellationToken.None),
            loop.SubmitAsync(DefaultEngineFixture.SmallRequest(seed: 2) with { Steps = 3 }, CancellationToken.None));

        var exposition = registry.Expose(ExpositionFormat.Text);
        Assert.Contains($"vllm:omni_diffusion_preprocess_time_ms_count{Labels} 2", exposition, StringComparison.Ordinal);
        Assert.Contains($"vllm:omni_diffusion_exec_time_ms_count{Labels} 2", exposition, StringComparison.Ordinal);
        Assert.Contains($"vllm:omni_diffusion_postprocess_time_ms_count{Labels} 2", exposition, StringComparison.Ordinal);
        Assert.Contains($"vllm:omni_diffusion_step_time_ms_count{Labels} 6", exposition, StringComparison.Ordinal);
        Assert.Contains($"vllm:num_requests_running{Labels} 0", exposition, StringComparison.Ordinal);
        Assert.Contains($"vllm:num_requests_waiting{Labels} 0", exposition, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EngineLoop_DisableLogStats_ObservesNothing()
    {
        var registry = new MetricRegistry();
        var metrics = Create(registry, disableLogStats: true);
        using var loop = new DiffusionEngineLoop(fixture.Engine, maxBatchSize: 2, maxWaiting: 4, metrics);
        loop.Start();

        await loop.SubmitAsync(DefaultEngineFixture.SmallRequest() with { Steps = 2 }, CancellationToken.None);

        var exposition = registry.Expose(ExpositionFormat.Text);
        Assert.Contains($"vllm:omni_diffusion_exec_time_ms_count{Labels} 0", exposition, StringComparison.Ordinal);
        Assert.Contains($"vllm:omni_diffusion_step_time_ms_count{Labels} 0", exposition, StringComparison.Ordinal);
        Assert.DoesNotContain($"vllm:num_requests_running{Labels} 1", exposition, StringComparison.Ordinal);
    }

    private DiffusionStageMetrics Create(MetricRegistry registry, bool disableLogStats) => new(
        Options.Create(new StageIdentityOptions { StageId = 1, ReplicaId = 3 }),
        Options.Create(new MetricsOptions { DisableLogStats = disableLogStats }),
        registry,
        fixture.Engine);
}
