using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Omni.Common.Hosting;
using Omni.Common.Metrics;
using Omni.Contracts.V1;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Pipeline;

namespace Omni.Orchestrator.Metrics;

/// <summary>The orchestrator's pipeline, modality and transfer metrics. Labelled children are cached, not looked up per sample.</summary>
public sealed class PipelineMetrics : IPipelineObserver
{
    private readonly bool _enabled;
    private readonly string _model;
    private readonly Gauge _running;
    private readonly Gauge _waiting;
    private readonly CounterFamily _success;
    private readonly CounterFamily _failed;
    private readonly Histogram _e2e;
    private readonly Histogram _queueTime;
    private readonly HistogramFamily _stageGenTime;
    private readonly Histogram _textTtfp;
    private readonly Histogram _imageTtfp;
    private readonly Counter _images;
    private readonly Histogram _pixels;
    private readonly Histogram _steps;
    private readonly HistogramFamily _audioTtfp;
    private readonly HistogramFamily _audioDuration;
    private readonly HistogramFamily _audioRtf;
    private readonly CounterFamily _audioFrames;
    private readonly HistogramFamily _audioUnderrun;
    private readonly ConcurrentDictionary<(int, uint), AudioChildren> _audioChildren = new();
    private readonly HistogramFamily _videoTtfp;
    private readonly HistogramFamily _videoGenerationTime;
    private readonly CounterFamily _videoFrames;
    private readonly HistogramFamily _videoDuration;
    private readonly ConcurrentDictionary<(int, uint), VideoChildren> _videoChildren = new();
    private readonly HistogramFamily _transferSize;
    private readonly HistogramFamily _transferTx;
    private readonly HistogramFamily _transferRx;
    private readonly HistogramFamily _transferInFlight;
    private readonly ConcurrentDictionary<(int, uint), Histogram> _stageChildren = new();
    private readonly ConcurrentDictionary<(int, uint, int, uint), TransferChildren> _transferChildren = new();

    public PipelineMetrics(IOptions<PipelineOptions> pipeline, IOptions<MetricsOptions> metrics, MetricRegistry registry)
    {
        _enabled = !metrics.Value.DisableLogStats;
        _model = pipeline.Value.ModelName;
        _running = registry.Gauge(MetricCatalog.OmniRequestsRunning).WithLabels(_model);
        _waiting = registry.Gauge(MetricCatalog.OmniRequestsWaiting).WithLabels(_model);
        _success = registry.Counter(MetricCatalog.OmniRequestsSuccess);
        _failed = registry.Counter(MetricCatalog.OmniRequestsFailed);
        _e2e = registry.Histogram(MetricCatalog.OmniE2eLatency).WithLabels(_model);
        _queueTime = registry.Histogram(MetricCatalog.OmniQueueTime).WithLabels(_model);
        _stageGenTime = registry.Histogram(MetricCatalog.OmniStageGenTime);
        _textTtfp = registry.Histogram(MetricCatalog.OmniTextTtfp).WithLabels(_model);
        _imageTtfp = registry.Histogram(MetricCatalog.OmniImageTtfp).WithLabels(_model);
        _images = registry.Counter(MetricCatalog.OmniImagesGenerated).WithLabels(_model);
        _pixels = registry.Histogram(MetricCatalog.OmniImagePixels).WithLabels(_model);
        _steps = registry.Histogram(MetricCatalog.OmniInferenceSteps).WithLabels(_model);
        _audioTtfp = registry.Histogram(MetricCatalog.OmniAudioTtfp);
        _audioDuration = registry.Histogram(MetricCatalog.OmniAudioDuration);
        _audioRtf = registry.Histogram(MetricCatalog.OmniAudioRtf);
        _audioFrames = registry.Counter(MetricCatalog.OmniAudioFrames);
        _audioUnderrun = registry.Histogram(MetricCatalog.OmniAudioUnderrun);
        _videoTtfp = registry.Histogram(MetricCatalog.OmniVideoTtfp);
        _videoGenerationTime = registry.Histogram(MetricCatalog.OmniVideoGenerationTime);
        _videoFrames = registry.Counter(MetricCatalog.OmniVideoFrames);
        _videoDuration = registry.Histogram(MetricCatalog.OmniVideoDuration);
        _transferSize = registry.Histogram(MetricCatalog.TransferSize);
        _transferTx = registry.Histogram(MetricCatalog.TransferTxTime);
        _transferRx = registry.Histogram(MetricCatalog.TransferRxDecodeTime);
        _transferInFlight = registry.Histogram(MetricCatalog.TransferInFlightTime);
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

    public void OnFirstImage(TimeSpan sinceArrival, int steps)
    {
        if (!_enabled)
        {
            return;
        }
        _imageTtfp.Observe(sinceArrival.TotalSeconds);
        _steps.Observe(steps);
    }

    public void OnImage(int width, int height)
    {
        if (!_enabled)
        {
            return;
        }
        _images.Inc();
        _pixels.Observe((double)width * height);
    }

    public void OnFirstAudio(int stageId, uint replicaId, TimeSpan sinceArrival)
    {
        if (_enabled)
        {
            Audio(stageId, replicaId).Ttfp.Observe(sinceArrival.TotalSeconds);
        }
    }

    public void OnAudioSamples(int stageId, uint replicaId, long samples)
    {
        if (_enabled)
        {
            Audio(stageId, replicaId).Frames.Inc(samples);
        }
    }

    public void OnAudioCompleted(int stageId, uint replicaId, double durationSeconds, double realTimeFactor, double underrunSeconds)
    {
        if (!_enabled)
        {
            return;
        }
        var children = Audio(stageId, replicaId);
        children.Duration.Observe(durationSeconds);
        children.Rtf.Observe(realTimeFactor);
        children.Underrun.Observe(underrunSeconds);
    }

    private AudioChildren Audio(int stageId, uint replicaId) => _audioChildren.GetOrAdd((stageId, replicaId), key =>
    {
        string[] labels = [_model, key.Item1.ToString(CultureInfo.InvariantCulture), key.Item2.ToString(CultureInfo.InvariantCulture)];
        return new AudioChildren(_audioTtfp.WithLabels(labels), _audioDuration.WithLabels(labels), _audioRtf.WithLabels(labels),
            _audioFrames.WithLabels(labels), _audioUnderrun.WithLabels(labels));
    });

    public void OnFirstVideo(int stageId, uint replicaId, TimeSpan sinceArrival)
    {
        if (_enabled)
        {
            Video(stageId, replicaId).Ttfp.Observe(sinceArrival.TotalSeconds);
        }
    }

    public void OnVideoCompleted(int stageId, uint replicaId, int frames, double durationSeconds, TimeSpan generationTime)
    {
        if (!_enabled)
        {
            return;
        }
        var children = Video(stageId, replicaId);
        children.Frames.Inc(frames);
        children.Duration.Observe(durationSeconds);
        children.GenerationTime.Observe(generationTime.TotalSeconds);
    }

    private VideoChildren Video(int stageId, uint replicaId) => _videoChildren.GetOrAdd((stageId, replicaId), key =>
    {
        string[] labels = [_model, key.Item1.ToString(CultureInfo.InvariantCulture), key.Item2.ToString(CultureInfo.InvariantCulture)];
        return new VideoChildren(_videoTtfp.WithLabels(labels), _videoGenerationTime.WithLabels(labels), _videoFrames.WithLabels(labels),
            _videoDuration.WithLabels(labels));
    });

    public void OnTransferChunk(int fromStage, uint fromReplica, int toStage, uint toReplica, ChunkTiming chunk)
    {
        if (!_enabled)
        {
            return;
        }
        var children = _transferChildren.GetOrAdd((fromStage, fromReplica, toStage, toReplica), key =>
        {
            string[] labels = [_model, key.Item1.ToString(CultureInfo.InvariantCulture), key.Item2.ToString(CultureInfo.InvariantCulture),
                key.Item3.ToString(CultureInfo.InvariantCulture), key.Item4.ToString(CultureInfo.InvariantCulture)];
            return new TransferChildren(_transferSize.WithLabels(labels), _transferTx.WithLabels(labels), _transferRx.WithLabels(labels),
                _transferInFlight.WithLabels(labels));
        });
        children.Size.Observe(chunk.Bytes);
        if (chunk.HasTxMs)
        {
            children.Tx.Observe(chunk.TxMs);
        }
        if (chunk.HasRxDecodeMs)
        {
            children.Rx.Observe(chunk.RxDecodeMs);
        }
        if (chunk.HasInFlightMs)
        {
            children.InFlight.Observe(chunk.InFlightMs);
        }
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

    private sealed record AudioChildren(Histogram Ttfp, Histogram Duration, Histogram Rtf, Counter Frames, Histogram Underrun);

    private sealed record VideoChildren(Histogram Ttfp, Histogram GenerationTime, Counter Frames, Histogram Duration);

    private sealed record TransferChildren(Histogram Size, Histogram Tx, Histogram Rx, Histogram InFlight);
}
