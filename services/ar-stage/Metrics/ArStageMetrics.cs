using System.Globalization;
using Microsoft.Extensions.Options;
using Omni.ArStage.Engine;
using Omni.Common.Hosting;
using Omni.Common.Metrics;

namespace Omni.ArStage.Metrics;

/// <summary>
/// The vLLM-compatible AR stage families, labelled with this replica's identity (children cached once), fed by the
/// engine loop through <see cref="IArEngineObserver"/>. With <c>--disable-log-stats</c> nothing is recorded.
/// </summary>
public sealed class ArStageMetrics : IArEngineObserver
{
    private readonly bool _enabled;
    private readonly MetricRegistry _registry;
    private readonly string[] _labels;
    private readonly Gauge _running;
    private readonly Gauge _waiting;
    private readonly Gauge _kvCacheUsage;
    private readonly Counter _preemptions;
    private readonly Counter _prefixQueries;
    private readonly Counter _prefixHits;
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

    public ArStageMetrics(IOptions<StageIdentityOptions> identity, IOptions<MetricsOptions> metrics, MetricRegistry registry, string modelName)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(metrics);
        _enabled = !metrics.Value.DisableLogStats;
        _registry = registry;
        var labels = identity.Value.LabelValues(modelName);
        _labels = labels;
        _running = registry.Gauge(MetricCatalog.NumRequestsRunning).WithLabels(labels);
        _waiting = registry.Gauge(MetricCatalog.NumRequestsWaiting).WithLabels(labels);
        _kvCacheUsage = registry.Gauge(MetricCatalog.KvCacheUsage).WithLabels(labels);
        _preemptions = registry.Counter(MetricCatalog.NumPreemptions).WithLabels(labels);
        _prefixQueries = registry.Counter(MetricCatalog.PrefixCacheQueries).WithLabels(labels);
        _prefixHits = registry.Counter(MetricCatalog.PrefixCacheHits).WithLabels(labels);
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

    public void OnCacheConfig(KvCacheConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!_enabled)
        {
            return;
        }

        string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
        _registry.Gauge(MetricCatalog.CacheConfigInfo).WithLabels(
        [
            .. _labels, Text(config.BlockSize), Text(config.NumBlocks), config.DType, config.PrefixCaching ? "True" : "False",
            Text(config.MaxNumSeqs), Text(config.MaxNumBatchedTokens),
        ]).Set(1);
    }

    public void OnSchedulerState(SchedulerState state)
    {
        if (_enabled)
        {
            _running.Set(state.Running);
            _waiting.Set(state.Waiting);
            _kvCacheUsage.Set(state.KvCacheUsage);
        }
    }

    public void OnStep(EngineStepStats step)
    {
        if (!_enabled)
        {
            return;
        }

        _iterationTokens.Observe(step.ScheduledTokens);
        _promptTokens.Inc(step.PromptTokens);
        _generationTokens.Inc(step.GenerationTokens);
        _preemptions.Inc(step.Preemptions);
        _prefixQueries.Inc(step.PrefixCacheQueries);
        _prefixHits.Inc(step.PrefixCacheHits);
    }

    public void OnFirstToken(TimeSpan sinceArrival)
    {
        if (_enabled)
        {
            _ttft.Observe(sinceArrival.TotalSeconds);
        }
    }

    public void OnInterTokenLatency(TimeSpan sincePreviousToken)
    {
        if (_enabled)
        {
            _itl.Observe(sincePreviousToken.TotalSeconds);
        }
    }

    public void OnRequestFinished(RequestStats request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_enabled)
        {
            return;
        }

        _success[request.FinishReason].Inc();
        _e2e.Observe(request.EndToEnd.TotalSeconds);
        if (request.QueueTime is { } queue)
        {
            _queueTime.Observe(queue.TotalSeconds);
        }

        if (request.InferenceTime is { } inference)
        {
            _inferenceTime.Observe(inference.TotalSeconds);
        }

        if (request.PrefillTime is { } prefill)
        {
            _prefillTime.Observe(prefill.TotalSeconds);
        }

        if (request.DecodeTime is { } decode)
        {
            _decodeTime.Observe(decode.TotalSeconds);
            if (request.GenerationTokens > 1)
            {
                _tpot.Observe(decode.TotalSeconds / (request.GenerationTokens - 1));
            }
        }

        _requestPromptTokens.Observe(request.PromptTokens);
        _requestGenerationTokens.Observe(request.GenerationTokens);
        _maxTokens.Observe(request.MaxTokens);
    }
}
