using Microsoft.Extensions.Options;
using Omni.Common.Engine;
using Omni.Common.Hosting;
using Omni.Common.Metrics;
using Omni.DiffusionStage.Engine;

namespace Omni.DiffusionStage.Metrics;

/// <summary>What the diffusion stage reports: queue counts, per-request phases and per-step times.</summary>
public interface IDiffusionStageObserver : IEngineQueueObserver, IDiffusionStepObserver
{
    void OnCompleted(DiffusionResult result);
}

/// <summary>The diffusion stage families, labelled with this replica's identity (children cached once).</summary>
public sealed class DiffusionStageMetrics : IDiffusionStageObserver
{
    private readonly bool _enabled;
    private readonly Gauge _running;
    private readonly Gauge _waiting;
    private readonly Histogram _preprocess;
    private readonly Histogram _exec;
    private readonly Histogram _postprocess;
    private readonly Histogram _step;

    public DiffusionStageMetrics(IOptions<StageIdentityOptions> identity, IOptions<MetricsOptions> metrics, MetricRegistry registry, DiffusionEngine engine)
    {
        _enabled = !metrics.Value.DisableLogStats;
        var labels = identity.Value.LabelValues(engine.ModelName);
        _running = registry.Gauge(MetricCatalog.NumRequestsRunning).WithLabels(labels);
        _waiting = registry.Gauge(MetricCatalog.NumRequestsWaiting).WithLabels(labels);
        _preprocess = registry.Histogram(MetricCatalog.DiffusionPreprocessTime).WithLabels(labels);
        _exec = registry.Histogram(MetricCatalog.DiffusionExecTime).WithLabels(labels);
        _postprocess = registry.Histogram(MetricCatalog.DiffusionPostprocessTime).WithLabels(labels);
        _step = registry.Histogram(MetricCatalog.DiffusionStepTime).WithLabels(labels);
    }

    public void OnQueueChanged(int running, int waiting)
    {
        if (_enabled)
        {
            _running.Set(running);
            _waiting.Set(waiting);
        }
    }

    public void OnStep(int stepIndex, TimeSpan elapsed)
    {
        if (_enabled)
        {
            _step.Observe(elapsed.TotalMilliseconds);
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
