using static Omni.Common.Metrics.MetricLabels;

namespace Omni.Common.Metrics;

/// <summary>
/// Every metric family Omni exports, as the contract (docs/metrics.md) defines it. The services create their
/// collectors from these definitions and the docs table is checked against them, so names cannot drift.
/// </summary>
public static class MetricCatalog
{
    /// <summary>Longest sequence the token-count buckets cover.</summary>
    public const int TokenBucketLimit = 5000;

    // ---- Pipeline level (orchestrator), {model_name} ----
    public static readonly MetricDefinition OmniRequestsRunning = new(
        "vllm:omni_num_requests_running", MetricType.Gauge, "Requests being processed by some stage.", Pipeline);
    public static readonly MetricDefinition OmniRequestsWaiting = new(
        "vllm:omni_num_requests_waiting", MetricType.Gauge, "Admitted requests not yet dispatched to their first stage.", Pipeline);
    public static readonly MetricDefinition OmniRequestsSuccess = new(
        "vllm:omni_requests_success_total", MetricType.Counter,
        "Finished requests by finish reason (stop, length, abort; failed or cancelled requests count as abort).",
        [ModelName, FinishedReason]);
    public static readonly MetricDefinition OmniRequestsFailed = new(
        "vllm:omni_requests_failed_total", MetricType.Counter,
        "Failed requests by reason: client_cancelled, deadline_exceeded, stage_error, stage_unavailable, rejected, invalid_argument.",
        [ModelName, Reason]);
    public static readonly MetricDefinition OmniE2eLatency = new(
        "vllm:omni_e2e_request_latency_seconds", MetricType.Histogram,
        "Request arrival to last response message, successful requests.", Pipeline, MetricBuckets.Request) { BucketSet = "REQ" };
    public static readonly MetricDefinition OmniQueueTime = new(
        "vllm:omni_request_queue_time_seconds", MetricType.Histogram,
        "Request arrival to dispatch to the first stage.", Pipeline, MetricBuckets.Request) { BucketSet = "REQ" };
    public static readonly MetricDefinition OmniStageGenTime = new(
        "vllm:omni_stage_gen_time_seconds", MetricType.Histogram,
        "Stage call start to its last output, as the orchestrator saw it.", [ModelName, StageId, ReplicaId], MetricBuckets.Request)
    { BucketSet = "REQ" };

    // ---- Modality (orchestrator), {model_name} ----
    public static readonly MetricDefinition OmniTextTtfp = new(
        "vllm:omni_text_ttfp_seconds", MetricType.Histogram,
        "Request arrival to the first text packet sent to the client.", Pipeline, MetricBuckets.TimeToFirstToken) { BucketSet = "TTFT" };
    public static readonly MetricDefinition OmniImageTtfp = new(
        "vllm:omni_image_ttfp_seconds", MetricType.Histogram,
        "Request arrival to the first image packet sent to the client.", Pipeline, MetricBuckets.Request) { BucketSet = "REQ" };
    public static readonly MetricDefinition OmniImagesGenerated = new(
        "vllm:omni_images_generated_total", MetricType.Counter, "Images returned to clients.", Pipeline);
    public static readonly MetricDefinition OmniImagePixels = new(
        "vllm:omni_image_pixels", MetricType.Histogram, "Pixels (width x height) per returned image.", Pipeline, MetricBuckets.ImagePixels)
    { BucketSet = "PIXELS" };
    public static readonly MetricDefinition OmniInferenceSteps = new(
        "vllm:omni_num_inference_steps", MetricType.Histogram, "Denoising steps per image request.", Pipeline, MetricBuckets.InferenceSteps)
    { BucketSet = "STEPS" };

    // ---- Audio (orchestrator), {model_name, stage_id, replica_id} of the stage that produced the audio ----
    public static readonly MetricDefinition OmniAudioTtfp = new(
        "vllm:omni_audio_ttfp_seconds", MetricType.Histogram, "Request arrival to the first audio chunk written to the client.", Modality,
        MetricBuckets.TimeToFirstToken) { BucketSet = "TTFT" };
    public static readonly MetricDefinition OmniAudioDuration = new(
        "vllm:omni_audio_duration_seconds", MetricType.Histogram, "Generated audio length per request, seconds.", Modality,
        MetricBuckets.AudioSeconds) { BucketSet = "AUDIO_S" };
    public static readonly MetricDefinition OmniAudioRtf = new(
        "vllm:omni_audio_rtf", MetricType.Histogram,
        "Real-time factor: request arrival to the last audio chunk, divided by the audio's duration (< 1 keeps up with playback).", Modality,
        MetricBuckets.RealTimeFactor) { BucketSet = "RTF" };
    public static readonly MetricDefinition OmniAudioFrames = new(
        "vllm:omni_audio_frames_total", MetricType.Counter, "Audio samples (per channel) returned to clients.", Modality);
    public static readonly MetricDefinition OmniAudioUnderrun = new(
        "vllm:omni_audio_underrun_seconds", MetricType.Histogram,
        "Worst lateness of a chunk for a player that starts at the first chunk and plays in real time (0 if never late), per request.",
        Modality, MetricBuckets.FastSeconds) { BucketSet = "FAST_S" };

    // ---- Video (orchestrator), {model_name, stage_id, replica_id} of the stage that produced the video ----
    public static readonly MetricDefinition OmniVideoTtfp = new(
        "vllm:omni_video_ttfp_seconds", MetricType.Histogram, "Request arrival to the first video bytes written to the client.", Modality,
        MetricBuckets.Request) { BucketSet = "REQ" };
    public static readonly MetricDefinition OmniVideoGenerationTime = new(
        "vllm:omni_video_generation_time_seconds", MetricType.Histogram,
        "The video stage's call (start to its last output), as the orchestrator saw it, per successful request.", Modality,
        MetricBuckets.Request) { BucketSet = "REQ" };
    public static readonly MetricDefinition OmniVideoFrames = new(
        "vllm:omni_video_frames_total", MetricType.Counter, "Video frames returned to clients.", Modality);
    public static readonly MetricDefinition OmniVideoDuration = new(
        "vllm:omni_video_duration_seconds", MetricType.Histogram, "Generated video length (frames / fps) per request, seconds.", Modality,
        MetricBuckets.AudioSeconds) { BucketSet = "AUDIO_S" };

    // ---- Cross-stage transfer (orchestrator) ----
    public static readonly MetricDefinition TransferSize = new(
        "vllm:omni_transfer_size_bytes", MetricType.Histogram, "Payload bytes of one cross-stage hop (one chunk).", Transfer, MetricBuckets.Bytes)
    { BucketSet = "BYTES" };
    public static readonly MetricDefinition TransferTxTime = new(
        "vllm:omni_transfer_tx_time_ms", MetricType.Histogram, "Sender side of one hop: serialize + submit, milliseconds.", Transfer,
        MetricBuckets.FastMilliseconds) { BucketSet = "FAST_MS" };
    public static readonly MetricDefinition TransferRxDecodeTime = new(
        "vllm:omni_transfer_rx_decode_time_ms", MetricType.Histogram, "Receiver side of one hop: receive + deserialize, milliseconds.",
        Transfer, MetricBuckets.FastMilliseconds) { BucketSet = "FAST_MS" };
    public static readonly MetricDefinition TransferInFlightTime = new(
        "vllm:omni_transfer_in_flight_time_ms", MetricType.Histogram, "One hop from sent to received, on one clock, milliseconds.",
        Transfer, MetricBuckets.FastMilliseconds) { BucketSet = "FAST_MS" };

    // ---- AR stage (vLLM names), {model_name, engine, stage_id, replica_id} ----
    public static readonly MetricDefinition NumRequestsRunning = new(
        "vllm:num_requests_running", MetricType.Gauge, "Requests the engine is running now.", Engine4);
    public static readonly MetricDefinition NumRequestsWaiting = new(
        "vllm:num_requests_waiting", MetricType.Gauge, "Requests waiting for the engine.", Engine4);
    public static readonly MetricDefinition KvCacheUsage = new(
        "vllm:kv_cache_usage_perc", MetricType.Gauge, "Fraction of the KV cache in use (0..1).", Engine4);
    public static readonly MetricDefinition CacheConfigInfo = new(
        "vllm:cache_config_info", MetricType.Gauge, "Information of the KV cache configuration (value 1, the configuration in the labels).",
        [.. Engine4, "block_size", "num_gpu_blocks", "cache_dtype", "enable_prefix_caching", "max_num_seqs", "max_num_batched_tokens"]);
    public static readonly MetricDefinition NumPreemptions = new(
        "vllm:num_preemptions_total", MetricType.Counter, "Running sequences preempted (KV blocks freed, recomputed later).", Engine4);
    public static readonly MetricDefinition PrefixCacheQueries = new(
        "vllm:prefix_cache_queries_total", MetricType.Counter, "Prompt tokens looked up in the prefix cache.", Engine4);
    public static readonly MetricDefinition PrefixCacheHits = new(
        "vllm:prefix_cache_hits_total", MetricType.Counter, "Prompt tokens found in the prefix cache.", Engine4);
    public static readonly MetricDefinition PromptTokens = new(
        "vllm:prompt_tokens_total", MetricType.Counter, "Prefill tokens processed.", Engine4);
    public static readonly MetricDefinition GenerationTokens = new(
        "vllm:generation_tokens_total", MetricType.Counter, "Generated tokens.", Engine4);
    public static readonly MetricDefinition RequestSuccess = new(
        "vllm:request_success_total", MetricType.Counter, "Finished requests by finish reason.", [.. Engine4, FinishedReason]);
    public static readonly MetricDefinition TimeToFirstToken = new(
        "vllm:time_to_first_token_seconds", MetricType.Histogram, "Arrival to first generated token.", Engine4,
        MetricBuckets.TimeToFirstToken) { BucketSet = "TTFT" };
    public static readonly MetricDefinition InterTokenLatency = new(
        "vllm:inter_token_latency_seconds", MetricType.Histogram, "Time between consecutive generated tokens.", Engine4,
        MetricBuckets.InterTokenLatency) { BucketSet = "ITL" };
    public static readonly MetricDefinition TimePerOutputToken = new(
        "vllm:request_time_per_output_token_seconds", MetricType.Histogram, "Decode time divided by generated tokens after the first.",
        Engine4, MetricBuckets.InterTokenLatency) { BucketSet = "ITL" };
    public static readonly MetricDefinition E2eRequestLatency = new(
        "vllm:e2e_request_latency_seconds", MetricType.Histogram, "Arrival to finish, per request.", Engine4, MetricBuckets.Request)
    { BucketSet = "REQ" };
    public static readonly MetricDefinition RequestQueueTime = new(
        "vllm:request_queue_time_seconds", MetricType.Histogram, "Arrival to first scheduled.", Engine4, MetricBuckets.Request)
    { BucketSet = "REQ" };
    public static readonly MetricDefinition RequestInferenceTime = new(
        "vllm:request_inference_time_seconds", MetricType.Histogram, "First scheduled to finish.", Engine4, MetricBuckets.Request)
    { BucketSet = "REQ" };
    public static readonly MetricDefinition RequestPrefillTime = new(
        "vllm:request_prefill_time_seconds", MetricType.Histogram, "Prefill time per request.", Engine4, MetricBuckets.Request)
    { BucketSet = "REQ" };
    public static readonly MetricDefinition RequestDecodeTime = new(
        "vllm:request_decode_time_seconds", MetricType.Histogram, "Decode time per request.", Engine4, MetricBuckets.Request)
    { BucketSet = "REQ" };
    public static readonly MetricDefinition RequestPromptTokens = new(
        "vllm:request_prompt_tokens", MetricType.Histogram, "Prompt tokens per request.", Engine4, MetricBuckets.Tokens(TokenBucketLimit))
    { BucketSet = "TOKENS" };
    public static readonly MetricDefinition RequestGenerationTokens = new(
        "vllm:request_generation_tokens", MetricType.Histogram, "Generated tokens per request.", Engine4,
        MetricBuckets.Tokens(TokenBucketLimit)) { BucketSet = "TOKENS" };
    public static readonly MetricDefinition RequestMaxTokens = new(
        "vllm:request_params_max_tokens", MetricType.Histogram, "The max_tokens parameter per request.", Engine4,
        MetricBuckets.Tokens(TokenBucketLimit)) { BucketSet = "TOKENS" };
    public static readonly MetricDefinition IterationTokens = new(
        "vllm:iteration_tokens_total", MetricType.Histogram, "Tokens processed per engine step.", Engine4, MetricBuckets.IterationTokens)
    { BucketSet = "ITER_TOKENS" };

    // ---- Diffusion stage, {model_name, engine, stage_id, replica_id} ----
    public static readonly MetricDefinition DiffusionPreprocessTime = new(
        "vllm:omni_diffusion_preprocess_time_ms", MetricType.Histogram, "Conditioning and latent setup per request, milliseconds.",
        Engine4, MetricBuckets.Milliseconds) { BucketSet = "MS" };
    public static readonly MetricDefinition DiffusionExecTime = new(
        "vllm:omni_diffusion_exec_time_ms", MetricType.Histogram, "The denoising loop per request, milliseconds.", Engine4,
        MetricBuckets.Milliseconds) { BucketSet = "MS" };
    public static readonly MetricDefinition DiffusionPostprocessTime = new(
        "vllm:omni_diffusion_postprocess_time_ms", MetricType.Histogram, "Latent decode and image encode per request, milliseconds.",
        Engine4, MetricBuckets.Milliseconds) { BucketSet = "MS" };
    public static readonly MetricDefinition DiffusionStepTime = new(
        "vllm:omni_diffusion_step_time_ms", MetricType.Histogram, "One denoising step, milliseconds.", Engine4,
        MetricBuckets.FastMilliseconds) { BucketSet = "FAST_MS" };

    // ---- Code-to-waveform (vocoder) stage, {model_name, engine, stage_id, replica_id} ----
    public static readonly MetricDefinition Code2WavChunkTime = new(
        "vllm:omni_code2wav_chunk_time_ms", MetricType.Histogram, "Decoding one chunk of codec frames to samples, milliseconds.", Engine4,
        MetricBuckets.FastMilliseconds) { BucketSet = "FAST_MS" };
    public static readonly MetricDefinition Code2WavChunkFrames = new(
        "vllm:omni_code2wav_chunk_frames", MetricType.Histogram, "Codec frames per decoded chunk.", Engine4, MetricBuckets.ChunkFrames)
    { BucketSet = "FRAMES" };

    public static readonly IReadOnlyList<MetricDefinition> PipelineFamilies =
    [
        OmniRequestsRunning, OmniRequestsWaiting, OmniRequestsSuccess, OmniRequestsFailed, OmniE2eLatency, OmniQueueTime,
        OmniStageGenTime, OmniTextTtfp, OmniImageTtfp, OmniImagesGenerated, OmniImagePixels, OmniInferenceSteps,
        OmniAudioTtfp, OmniAudioDuration, OmniAudioRtf, OmniAudioFrames, OmniAudioUnderrun,
        OmniVideoTtfp, OmniVideoGenerationTime, OmniVideoFrames, OmniVideoDuration,
        TransferSize, TransferTxTime, TransferRxDecodeTime, TransferInFlightTime,
    ];

    public static readonly IReadOnlyList<MetricDefinition> ArFamilies =
    [
        NumRequestsRunning, NumRequestsWaiting, KvCacheUsage, CacheConfigInfo, NumPreemptions, PrefixCacheQueries, PrefixCacheHits,
        PromptTokens, GenerationTokens, RequestSuccess, TimeToFirstToken,
        InterTokenLatency, TimePerOutputToken, E2eRequestLatency, RequestQueueTime, RequestInferenceTime, RequestPrefillTime,
        RequestDecodeTime, RequestPromptTokens, RequestGenerationTokens, RequestMaxTokens, IterationTokens,
    ];

    public static readonly IReadOnlyList<MetricDefinition> DiffusionFamilies =
    [
        DiffusionPreprocessTime, DiffusionExecTime, DiffusionPostprocessTime, DiffusionStepTime, NumRequestsRunning, NumRequestsWaiting,
    ];

    public static readonly IReadOnlyList<MetricDefinition> Code2WavFamilies =
    [
        Code2WavChunkTime, Code2WavChunkFrames, NumRequestsRunning, NumRequestsWaiting,
    ];

    /// <summary>Every family of every process kind, once each.</summary>
    public static IEnumerable<MetricDefinition> All =>
        PipelineFamilies.Concat(ArFamilies).Concat(DiffusionFamilies).Concat(Code2WavFamilies).DistinctBy(definition => definition.Name);
}
