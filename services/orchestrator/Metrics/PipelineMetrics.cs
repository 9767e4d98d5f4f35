using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Omni.Common.Hosting;
using Omni.Common.Metrics;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Pipeline;
using Prometheus;

namespace Omni.Orchestrator.Metrics;

/// <summary>The orchestrator's pipeline, modality and transfer metrics. Labelled children are cached, not looked up per sample.</summary>
public sealed class PipelineMetrics : IPipelineObserver
{
    private readonly bool _enabled;
    private readonly string _model;
    private readonly Gauge.Child _running;
    private readonly Gauge.Child _waiting;
    private readonly Counter _success;
    private readonly Counter _failed;
    private readonly Histogram.Child _e2e;
    private readonly Histogram.Child _queueTime;
    private readonly Histogram _stageGenTime;
    private readonly Histogram.Child _textTtfp;
    private readonly Histogram.Child _imageTtfp;
    private readonly Counter.Child _images;
    private readonly Histogram.Child _pixels;
    private readonly Histogram.Child _steps;
    private readonly Histogram _transferSize;
    private readonly ConcurrentDictionary<(int, uint), Histogram.Child> _stageChildren = new();
    private readonly ConcurrentDictionary<(int, uint, int, uint), Histogram.Child> _transferChildren = new();

    public PipelineMetrics(IOptions<PipelineOptions> pipeline, IOptions<MetricsOptions> metrics)
    {
        _enabled = !metrics.Value.DisableLogStats;
        _model = pipeline.Value.ModelName;
        var factory = Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.DefaultRegistry);
        _running = factory.CreateGauge(MetricCatalog.OmniRequestsRunning).WithLabels(_model);
        _waiting = factory.CreateGauge(MetricCatalog.OmniRequestsWaiting).WithLabels(_model);
        _success = factory.CreateCounter(MetricCatalog.OmniRequestsSuccess);
        _failed = factory.CreateCounter(MetricCatalog.OmniRequestsFailed);
        _e2e = factory.CreateHistogram(MetricCatalog.OmniE2eLatency).WithLabels(_model);
        _queueTime = factory.CreateHistogram(MetricCatalog.OmniQueueTime).WithLabels(_model);
        _stageGenTime = factory.CreateHistogram(MetricCatalog.OmniStageGenTime);
        _textTtfp = factory.CreateHistogram(MetricCatalog.OmniTextTtfp).WithLabels(_model);
        _imageTtfp = factory.CreateHistogram(MetricCatalog.OmniImageTtfp).WithLabels(_model);
        _images = factory.CreateCounter(MetricCatalog.OmniImagesGenerated).WithLabels(_model);
        _pixels = factory.CreateHistogram(MetricCatalog.OmniImagePixels).WithLabels(_model);
        _steps = factory.CreateHistogram(MetricCatalog.OmniInferenceSteps).WithLabels(_model);
        _transferSize = factory.CreateHistogram(MetricCatalog.TransferSize);
        if (_enabled)
        {
            // Zero-valued series exist from the start so that rate() and absent() behave.
            foreach (var reason in new[] { "stop", "length", "abort" })
            {
                _success.WithLabels(_model, reason);
            }
        }
    }

    public void OnQueued()
    {
        if (_enabled)
        {
            _waiting.Inc();
        }
    }

    public void OnDequeued(TimeSpan? queueTime)
    {
        if (!_enabled)
        {
            return;
        }
        _waiting.Dec();
        if (queueTime is { } time)
        {
            _queueTime.Observe(time.TotalSeconds);
            _running.Inc();
        }
    }

    public void OnFinished(string finishReason, TimeSpan? e2eLatency)
    {
        if (!_enabled)
        {
            return;
        }
        _running.Dec();
        _success.WithLabels(_model, finishReason).Inc();
        if (e2eLatency is { } latency)
        {
            _e2e.Observe(latency.TotalSeconds);
        }
    }

    public void OnFailed(FailureReason reason)
    {
        if (_enabled)
        {
            _failed.WithLabels(_model, Label(reason)).Inc();
        }
    }

    public void OnStageCompleted(int stageId, uint replicaId, TimeSpan generationTime)
    {
        if (!_enabled)
        {
            return;
        }
        var child = _stageChildren.GetOrAdd((stageId, replicaId), key =>
            _stageGenTime.WithLabels(_model, key.Item1.ToString(CultureInfo.InvariantCulture), key.Item2.ToString(CultureInfo.InvariantCulture)));
        child.Observe(generationTime.TotalSeconds);
    }

    public void OnFirstText(TimeSpan sinceArrival)
    {
        if (_enabled)
        {
            _textTtfp.Observe(sinceArrival.TotalSeconds);
        }
    }

    public void OnImage(TimeSpan sinceArrival, int width, int height, int steps)
    {
        if (!_enabled)
        {
            return;
        }
        _imageTtfp.Observe(sinceArrival.TotalSeconds);
        _images.Inc();
        _pixels.Observe((double)width * height);
        _steps.Observe(steps);
    }

    public void OnTransferChunk(int fromStage, uint fromReplica, int toStage, uint toReplica, long bytes)
    {
        if (!_enabled)
        {
            return;
        }
        var child = _transferChildren.GetOrAdd((fromStage, fromReplica, toStage, toReplica), key => _transferSize.WithLabels(_model,
            key.Item1.ToString(CultureInfo.InvariantCulture), key.Item2.ToString(CultureInfo.InvariantCulture),
            key.Item3.ToString(CultureInfo.InvariantCulture), key.Item4.ToString(CultureInfo.InvariantCulture)));
        child.Observe(bytes);
    }

    public static string Label(FailureReason reason) => reason switch
    {
        FailureReason.ClientCancelled => "client_cancelled",
        FailureReason.DeadlineExceeded => "deadline_exceeded",
        FailureReason.StageError => "stage_error",
        FailureReason.StageUnavailable => "stage_unavailable",
        FailureReason.Rejected => "rejected",
        FailureReason.InvalidArgument => "invalid_argument",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };
}
