using Omni.Contracts.V1;
using Omni.Orchestrator.Pipeline;

namespace Omni.Orchestrator.Tests.Support;

public sealed class RecordingObserver : IPipelineObserver
{
    public List<(int StageId, uint ReplicaId)> StagesCompleted { get; } = [];

    public List<(int FromStage, uint FromReplica, int ToStage, uint ToReplica, ulong Bytes)> TransferChunks { get; } = [];

    public int FirstTexts { get; private set; }

    public List<(int Width, int Height)> Images { get; } = [];

    public void OnQueued()
    {
    }

    public void OnDequeued(TimeSpan? queueTime)
    {
    }

    public List<string> Finished { get; } = [];

    public List<FailureReason> Failures { get; } = [];

    public void OnFinished(string finishReason, TimeSpan? e2eLatency)
    {
        lock (Finished)
        {
            Finished.Add(finishReason);
        }
    }

    public void OnFailed(FailureReason reason)
    {
        lock (Failures)
        {
            Failures.Add(reason);
        }
    }

    public void OnStageCompleted(int stageId, uint replicaId, TimeSpan generationTime)
    {
        lock (StagesCompleted)
        {
            StagesCompleted.Add((stageId, replicaId));
        }
    }

    public void OnFirstText(TimeSpan sinceArrival) => FirstTexts++;

    public int FirstImages { get; private set; }

    public void OnFirstImage(TimeSpan sinceArrival, int steps) => FirstImages++;

    public void OnImage(int width, int height) => Images.Add((width, height));

    public List<(int StageId, uint ReplicaId, double DurationSeconds)> AudioCompleted { get; } = [];

    public void OnFirstAudio(int stageId, uint replicaId, TimeSpan sinceArrival)
    {
    }

    public void OnAudioSamples(int stageId, uint replicaId, long samples)
    {
    }

    public void OnAudioCompleted(int stageId, uint replicaId, double durationSeconds, double realTimeFactor, double underrunSeconds) =>
        AudioCompleted.Add((stageId, replicaId, durationSeconds));

    public List<(int StageId, uint ReplicaId, TimeSpan SinceArrival)> FirstVideo { get; } = [];

    public List<(int StageId, uint ReplicaId, int Frames, double DurationSeconds)> VideoCompleted { get; } = [];

    public void OnFirstVideo(int stageId, uint replicaId, TimeSpan sinceArrival) => FirstVideo.Add((stageId, replicaId, sinceArrival));

    public void OnVideoCompleted(int stageId, uint replicaId, int frames, double durationSeconds, TimeSpan generationTime) =>
        VideoCompleted.Add((stageId, replicaId, frames, durationSeconds));

    public void OnTransferChunk(int fromStage, uint fromReplica, int toStage, uint toReplica, ChunkTiming chunk) =>
        TransferChunks.Add((fromStage, fromReplica, toStage, toReplica, chunk.Bytes));
}
