using System.Diagnostics;
using Microsoft.Extensions.Options;
using Omni.ArStage.Engine;
using Omni.Common.Hosting;
using Omni.Common.Metrics;

namespace Omni.ArStage.Metrics;

/// <summary>The vLLM-compatible AR stage families, labelled with this replica's identity (children cached once).</summary>
public sealed class ArStageMetrics : IArStageObserver
{
    private readonly bool _enabled;
    private readonly Gauge _running;
    private readonly Gauge _waiting;
    private readonly Counter _promptTokens;
    private readonly Counter _generationTokens;
    private readonly Dictionary<FinishReason, Counter> _success;
    private readonly Histogram _ttft;
    private readonly Histogram _itl;
    private readonly Histogram _tpot;
    private readonly Histogram _e2e;
    private readonly Histogram _queueTime;
    private readonly Histogram _inferenceTime;
    private readonly Histogram _prefillTime;
    private readonly Histogram _decodeTime;
    private readonly Histogram _requestPromptTokens;
    private readonly Histogram _requestGenerationTokens;
    private readonly Histogram _maxTokens;
    private readonly Histogram _iterationTokens;

    public ArStageMetrics(IOptions<StageIdentityOptions> identity, IOptions<MetricsOptions> metrics, MetricRegistry registry, ArEngine engine)
    {
        _enabled = !metrics.Value.DisableLogStats;
        var labels = identity.Value.LabelValues(engine.ModelName);
        _running = registry.Gauge(MetricCatalog.NumRequestsRunning).WithLabels(labels);
        _waiting = registry.Gauge(MetricCatalog.NumRequestsWaiting).WithLabels(labels);
        _promptTokens = registry.Counter(MetricCatalog.PromptTokens).WithLabels(labels);
        _generationTokens = registry.Counter(MetricCatalog.GenerationTokens).WithLabels(labels);
        var success = registry.Counter(MetricCatalog.RequestSuccess);
        _success = new Dictionary<FinishReason, Counter>
        {
            [FinishReason.Stop] = success.WithLabels([.. labels, "stop"]),
            [FinishReason.Length] = success.WithLabels([.. labels, "length"]),
            [FinishReason.Abort] = success.WithLabels([.. labels, "abort"]),
        };
        _ttft = registry.Histogram(MetricCatalog.TimeToFirstToken).WithLabels(labels);
        _itl = registry.Histogram(MetricCatalog.InterTokenLatency).WithLabels(labels);
        _tpot = registry.Histogram(MetricCatalog.TimePerOutputToken).WithLabels(labels);
        _e2e = registry.Histogram(MetricCatalog.E2eRequestLatency).WithLabels(labels);
        _queueTime = registry.Histogram(MetricCatalog.RequestQueueTime).WithLabels(labels);
        _inferenceTime = registry.Histogram(MetricCatalog.RequestInferenceTime).WithLabels(labels);
        _prefillTime = registry.Histogram(MetricCatalog.RequestPrefillTime).WithLabels(labels);
        _decodeTime = registry.Histogram(MetricCatalog.RequestDecodeTime).WithLabels(labels);
        _requestPromptTokens = registry.Histogram(MetricCatalog.RequestPromptTokens).WithLabels(labels);
        _requestGenerationTokens = registry.Histogram(MetricCatalog.RequestGenerationTokens).WithLabels(labels);
        _maxTokens = registry.Histogram(MetricCatalog.RequestMaxTokens).WithLabels(labels);
        _iterationTokens = registry.Histogram(MetricCatalog.IterationTokens).WithLabels(labels);
    }

    public void OnQueueChanged(int running, int waiting)
    {
        if (_enabled)
        {
            _running.Set(running);
            _waiting.Set(waiting);
        }
    }

    public IArRequestObserver StartRequest(long arrivalTimestamp, int maxTokens) =>
        _enabled ? new RequestObserver(this, arrivalTimestamp, maxTokens) : NullRequestObserver.Instance;

    private sealed class RequestObserver(ArStageMetrics metrics, long arrival, int maxTokens) : IArRequestObserver
    {
        private long _scheduled;
        private long _lastToken;
        private int _tokens;

        public void OnScheduled(TimeSpan queueTime)
        {
            _scheduled = Stopwatch.GetTimestamp();
            metrics._queueTime.Observe(queueTime.TotalSeconds);
        }

        public void OnToken()
        {
            var now = Stopwatch.GetTimestamp();
            if (_tokens == 0)
            {
                metrics._ttft.Observe(Stopwatch.GetElapsedTime(arrival, now).TotalSeconds);
            }
            else
            {
                metrics._itl.Observe(Stopwatch.GetElapsedTime(_lastToken, now).TotalSeconds);
                metrics._iterationTokens.Observe(1);
            }
            _lastToken = now;
            _tokens++;
        }

        public void OnAborted() => metrics._success[FinishReason.Abort].Inc();

        public void OnFinished(GenerationResult result)
        {
            var now = Stopwatch.GetTimestamp();
            metrics._success[result.FinishReason].Inc();
            metrics._promptTokens.Inc(result.PromptTokens);
            metrics._generationTokens.Inc(result.CompletionTokens);
            metrics._iterationTokens.Observe(result.PromptTokens);
            metrics._e2e.Observe(Stopwatch.GetElapsedTime(arrival, now).TotalSeconds);
            metrics._inferenceTime.Observe(Stopwatch.GetElapsedTime(_scheduled, now).TotalSeconds);
            metrics._prefillTime.Observe(result.PrefillTime.TotalSeconds);
            metrics._requestPromptTokens.Observe(result.PromptTokens);
            metrics._requestGenerationTokens.Observe(result.CompletionTokens);
            metrics._maxTokens.Observe(maxTokens);
            if (result.CompletionTokens > 0)
            {
                metrics._decodeTime.Observe(result.DecodeTime.TotalSeconds);
            }
            if (result.CompletionTokens > 1)
            {
                metrics._tpot.Observe(result.DecodeTime.TotalSeconds / (result.CompletionTokens - 1));
            }
        }
    }

    private sealed class NullRequestObserver : IArRequestObserver
    {
        public static readonly NullRequestObserver Instance = new();

        public void OnScheduled(TimeSpan queueTime)
        {
        }

        public void OnToken()
        {
        }

        public void OnFinished(GenerationResult result)
        {
        }

        public void OnAborted()
        {
        }
    }
}
