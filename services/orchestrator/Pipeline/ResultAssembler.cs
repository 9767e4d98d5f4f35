using System.Diagnostics;
using Omni.Contracts.V1;
using Omni.Orchestrator.Graph;
using Omni.Orchestrator.Pipeline.Connectors;

namespace Omni.Orchestrator.Pipeline;

/// <summary>
/// The request's final message: a StageReport per stage that ran, a TransferReport per edge (each chunk observed
/// into the transfer metrics with the replicas that were bound), usage summed over the stages, and the finish reason
/// of the stage that produced the client's first requested modality (text, then image, audio, video), the audio's
/// duration, real-time factor and underrun once the audio is complete, and the video's frames and length.
/// </summary>
public static class ResultAssembler
{
    public static GenerateFinal Assemble(ValidatedRequest request, RequestPlan plan, IReadOnlyDictionary<StageNode, StageExecution> executions,
        IReadOnlyList<IEdgeConnector> connectors, ClientStream client, TimeSpan queueTime, long arrivalTimestamp, IPipelineObserver observer)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(executions);
        ArgumentNullException.ThrowIfNull(connectors);
        ArgumentNullException.ThrowIfNull(observer);
        ArgumentNullException.ThrowIfNull(client);
        var final = new GenerateFinal { QueueTimeMs = queueTime.TotalMilliseconds, Usage = new Usage() };
        foreach (var planned in plan.Stages)
        {
            var execution = executions[planned.Node];
            var stageFinal = execution.Final!;
            var report = new StageReport
            {
                Stage = planned.Node.Name,
                StageId = (uint)planned.Node.StageId,
                ReplicaId = execution.Binding.ReplicaId,
                GenTimeMs = execution.Elapsed.TotalMilliseconds,
            };
            report.Timings.AddRange(stageFinal.Timings);
            final.Stages.Add(report);
            final.Usage.PromptTokens += stageFinal.Usage?.PromptTokens ?? 0;
            final.Usage.CompletionTokens += stageFinal.Usage?.CompletionTokens ?? 0;
        }
        var finisher = Modalities.All.Where(request.ClientOutputs.Contains)
            .Select(output => plan.Stages.First(stage => stage.ClientOutputs.Contains(output)))
            .First();
        final.FinishReason = executions[finisher.Node].Final!.FinishReason;

        foreach (var connector in connectors)
        {
            var (from, to) = (executions[connector.Edge.From].Binding.ReplicaId, executions[connector.Edge.To].Binding.ReplicaId);
            connector.Ledger.Observe(observer, from, to);
            var report = connector.Ledger.Report(from, to);
            connector.Ledger.Trace(report);
            final.Transfers.Add(report);
        }
        if (client.Audio.RealTimeFactor is { } rtf)
        {
            var speaker = executions[plan.Stages.First(stage => stage.ClientOutputs.Contains(Modalities.Audio)).Node];
            final.AudioDurationSeconds = client.Audio.DurationSeconds;
            observer.OnAudioCompleted(speaker.Node.StageId, speaker.Binding.ReplicaId, client.Audio.DurationSeconds, rtf, client.Audio.UnderrunSeconds);
        }
        if (request.Video is { } video && client.VideoChunks > 0)
        {
            var filmer = executions[plan.Stages.First(stage => stage.ClientOutputs.Contains(Modalities.Video)).Node];
            final.VideoFrames = (uint)video.Frames;
            final.VideoDurationSeconds = video.DurationSeconds;
            observer.OnVideoCompleted(filmer.Node.StageId, filmer.Binding.ReplicaId, video.Frames, video.DurationSeconds, filmer.Elapsed);
        }
        final.E2ETimeMs = Stopwatch.GetElapsedTime(arrivalTimestamp).TotalMilliseconds;
        return final;
    }
}
