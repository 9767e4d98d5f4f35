using Microsoft.Extensions.Options;
using Omni.Common.Hosting;
using Omni.Common.Metrics;
using Omni.DiffusionStage.Engine;

namespace Omni.DiffusionStage.Metrics;

/// <summary>
/// The diffusion stage families, labelled with this replica's identity (children cached once): running/waiting from
/// the engine loop, each request's preprocess/exec/postprocess once it completes, and every step of every request
/// (a batched step is observed once per request in the batch, with the batched step's duration).
/// </summary>
public sealed class DiffusionStageMetrics : IDiffusionEngineObserver
{
    private readonly bool _enabled;
    private readonly EngineQueueGauges _queue;
    private readonly Histogram _preprocess;
    private readonly Histogram _exec;
    private readonly Histogram _postprocess;
    private readonly Histogram _step;

    public DiffusionStageMetrics(IOptions<StageIdentityOptions> identity, IOptions<MetricsOptions> metrics, MetricRegistry registry, DiffusionEngine engine)
    {
        _enabled = !metrics.Value.DisableLogStats;
        var labels = identity.Value.LabelValues(engine.ModelName);
        _queue = new EngineQueueGauges(registry, labels, _enabled);
        _preprocess = registry.Histogram(MetricCatalog.DiffusionPreprocessTime).WithLabels(labels);
        _exec = registry.Histogram(MetricCatalog.DiffusionExecTime).WithLabels(labels);
        _postprocess = registry.Histogram(MetricCatalog.DiffusionPostprocessTime).WithLabels(labels);
        _step = registry.Histogram(MetricCatalog.DiffusionStepTime).WithLabels(labels);
    }

    public void OnQueueChanged(int running, int waiting) => _queue.Set(running, waiting);

    public void OnStep(int stepIndex, TimeSpan duration)
    {
        if (_enabled)
        {
            _step.Observe(duration.TotalMilliseconds);
        }
    }

    public void OnCompleted(DiffusionResult result)
    {
        if (!_enabled)
        {
            return;
        }
        _preprocess.Observe(result.PreprocessTime.TotalMilliseconds);
        _exec.Observe(result.ExecTime.TotalMilliseconds);
        _postprocess.Observe(result.PostprocessTime.TotalMilliseconds);
    }
}
