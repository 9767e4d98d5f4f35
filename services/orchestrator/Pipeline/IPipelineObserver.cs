using Omni.Contracts.V1;

namespace Omni.Orchestrator.Pipeline;

/// <summary>Why a request failed, as the vllm:omni_requests_failed_total reason label names it.</summary>
public enum FailureReason
{
    ClientCancelled,
    DeadlineExceeded,
    StageError,
    StageUnavailable,
    Rejected,
    InvalidArgument,
}

/// <summary>What the pipeline tells its observers (the metrics) about each request, as it happens.</summary>
public interface IPipelineObserver
{
    void OnQueued();

    /// <summary>Left the queue (dispatched or given up); <paramref name="queueTime"/> is set when dispatched.</summary>
    void OnDequeued(TimeSpan? queueTime);

    void OnFinished(string finishReason, TimeSpan? e2eLatency);

    void OnFailed(FailureReason reason);

    void OnStageCompleted(int stageId, uint replicaId, TimeSpan generationTime);

    void OnFirstText(TimeSpan sinceArrival);

    /// <summary>The request's first image was written to the client; the request asked for <paramref name="steps"/> denoising steps.</summary>
    void OnFirstImage(TimeSpan sinceArrival, int steps);

    /// <summary>An image (each of a request's num_images) was written to the client.</summary>
    void OnImage(int width, int height);

    /// <summary>The request's first audio chunk was written to the client, from replica <paramref name="replicaId"/> of stage <paramref name="stageId"/>.</summary>
    void OnFirstAudio(int stageId, uint replicaId, TimeSpan sinceArrival);

    /// <summary>An audio chunk of <paramref name="samples"/> samples per channel was written to the client.</summary>
    void OnAudioSamples(int stageId, uint replicaId, long samples);

    /// <summary>A request's audio is complete: its length, real-time factor and worst underrun (see <see cref="AudioPlayback"/>).</summary>
    void OnAudioCompleted(int stageId, uint replicaId, double durationSeconds, double realTimeFactor, double underrunSeconds);

    /// <summary>The request's first video bytes were written to the client, from replica <paramref name="replicaId"/> of stage <paramref name="stageId"/>.</summary>
    void OnFirstVideo(int stageId, uint replicaId, TimeSpan sinceArrival);

    /// <summary>
    /// A request's video is complete: its frames, its length (frames / fps) and the video stage's call as the
    /// orchestrator saw it.
    /// </summary>
    void OnVideoCompleted(int stageId, uint replicaId, int frames, double durationSeconds, TimeSpan generationTime);

    /// <summary>One chunk hop between two stages, with whatever of its intervals were measured.</summary>
    void OnTransferChunk(int fromStage, uint fromReplica, int toStage, uint toReplica, ChunkTiming chunk);
}
