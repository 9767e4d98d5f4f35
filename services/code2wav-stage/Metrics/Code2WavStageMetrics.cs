using Microsoft.Extensions.Options;
using Omni.Code2Wav.Engine;
using Omni.Common.Hosting;
using Omni.Common.Metrics;

namespace Omni.Code2WavStage.Metrics;

/// <summary>
/// The code2wav stage families, labelled with this replica's identity: running/waiting chunks from the engine loop,
/// and every decoded chunk's frames and time (a batched pass is observed once per chunk in it, with the pass's time).
/// </summary>
public sealed class Code2WavStageMetrics : ICode2WavObserver
{
    private readonly bool _enabled;
    private readonly EngineQueueGauges _queue;
    private readonly Histogram _chunkTime;
    private readonly Histogram _chunkFrames;

    public Code2WavStageMetrics(IOptions<StageIdentityOptions> identity, IOptions<MetricsOptions> metrics, MetricRegistry registry, Code2WavEngine engine)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(engine);
        _enabled = !metrics.Value.DisableLogStats;
        var labels = identity.Value.LabelValues(engine.ModelName);
        _queue = new EngineQueueGauges(registry, labels, _enabled);
        _chunkTime = registry.Histogram(MetricCatalog.Code2WavChunkTime).WithLabels(labels);
        _chunkFrames = registry.Histogram(MetricCatalog.Code2WavChunkFrames).WithLabels(labels);
    }

    public void OnQueueChanged(int running, int waiting) => _queue.Set(running, waiting);

    public void OnChunk(int frames, TimeSpan time)
    {
        if (_enabled)
        {
            _chunkTime.Observe(time.TotalMilliseconds);
            _chunkFrames.Observe(frames);
        }
    }
}
