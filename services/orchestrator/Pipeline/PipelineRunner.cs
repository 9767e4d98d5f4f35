using System.Diagnostics;
using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.Pipeline;

/// <summary>
/// Runs one admitted request through the stages: the AR stage always; for images, the diffusion stage, fed the
/// AR stage's hidden states chunk by chunk as they arrive (the relay connector). Text streams to the client as it
/// is generated, the image after it, then one final message built from the same measurements as the metrics.
/// </summary>
public sealed class PipelineRunner(PipelineStages stages, IPipelineObserver observer)
{
    public async Task<GenerateFinal> RunAsync(ValidatedRequest request, long arrivalTimestamp, TimeSpan queueTime,
        IServerStreamWriter<GenerateResponse> client, DateTime? deadline, CancellationToken cancellationToken)
    {
        var arInfo = await stages.Ar.GetInfoAsync(deadline, cancellationToken).ConfigureAwait(false);
        StageInfo? diffusionInfo = null;
        if (request.WantsImage)
        {
            diffusionInfo = await stages.Diffusion.GetInfoAsync(deadline, cancellationToken).ConfigureAwait(false);
            if (diffusionInfo.HiddenSize != arInfo.HiddenSize)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition,
                    $"The diffusion stage expects conditioning of width {diffusionInfo.HiddenSize}, but the AR stage emits {arInfo.HiddenSize}."));
            }
        }

        var final = new GenerateFinal { QueueTimeMs = queueTime.TotalMilliseconds, Usage = new Usage() };
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = linked.Token;

        var arStart = Stopwatch.GetTimestamp();
        using var arCall = stages.Ar.Client.Process(deadline: deadline, cancellationToken: token);
        await arCall.RequestStream.WriteAsync(new StageInput
        {
            Header = new StageRequest
            {
                RequestId = request.RequestId,
                Prompt = request.Prompt,
                Text = request.ToTextParams(),
                EmitText = request.WantsText,
                EmitHiddenStates = request.WantsImage,
            },
        }, token).ConfigureAwait(false);
        await arCall.RequestStream.CompleteAsync().ConfigureAwait(false);

        AsyncDuplexStreamingCall<StageInput, StageOutput>? diffusionCall = null;
        var diffusionStart = 0L;
        try
        {
            if (request.WantsImage)
            {
                diffusionStart = Stopwatch.GetTimestamp();
                diffusionCall = stages.Diffusion.Client.Process(deadline: deadline, cancellationToken: token);
                await diffusionCall.RequestStream.WriteAsync(new StageInput
                {
                    Header = new StageRequest
                    {
                        RequestId = request.RequestId,
                        Prompt = request.Prompt,
                        Image = request.ToImageParams(),
                        ConditioningTensor = ValidatedRequest.ConditioningTensor,
                    },
                }, token).ConfigureAwait(false);
            }

            var arFinal = await RelayArOutputsAsync(request, arCall, diffusionCall, arInfo, diffusionInfo, arrivalTimestamp, client, token)
                .ConfigureAwait(false);
            var arTime = Stopwatch.GetElapsedTime(arStart);
            observer.OnStageCompleted(stages.Ar.StageId, arInfo.ReplicaId, arTime);
            final.Usage = arFinal.Usage ?? new Usage();
            final.FinishReason = request.WantsText ? arFinal.FinishReason : FinishReason.Stop;
            final.Stages.Add(Report(stages.Ar, arInfo, arTime, arFinal));

            if (diffusionCall is not null && diffusionInfo is not null)
            {
                var diffusionFinal = await ReadDiffusionOutputsAsync(request, diffusionCall, arrivalTimestamp, client, token).ConfigureAwait(false);
                // The diffusion call starts with the AR call (its header goes out first), so this includes waiting for input.
                var diffusionTime = Stopwatch.GetElapsedTime(diffusionStart);
                observer.OnStageCompleted(stages.Diffusion.StageId, diffusionInfo.ReplicaId, diffusionTime);
                final.Stages.Add(Report(stages.Diffusion, diffusionInfo, diffusionTime, diffusionFinal));
                if (!request.WantsText)
                {
                    final.FinishReason = diffusionFinal.FinishReason;
                }
            }
        }
        finally
        {
            diffusionCall?.Dispose();
        }
        final.E2ETimeMs = Stopwatch.GetElapsedTime(arrivalTimestamp).TotalMilliseconds;
        return final;
    }

    private async Task<StageFinal> RelayArOutputsAsync(ValidatedRequest request, AsyncDuplexStreamingCall<StageInput, StageOutput> arCall,
        AsyncDuplexStreamingCall<StageInput, StageOutput>? diffusionCall, StageInfo arInfo, StageInfo? diffusionInfo, long arrivalTimestamp,
        IServerStreamWriter<GenerateResponse> client, CancellationToken token)
    {
        StageFinal? arFinal = null;
        var firstText = true;
        await foreach (var output in arCall.ResponseStream.ReadAllAsync(token).ConfigureAwait(false))
        {
            switch (output.KindCase)
            {
                case StageOutput.KindOneofCase.Text when request.WantsText:
                    await client.WriteAsync(new GenerateResponse { RequestId = request.RequestId, Text = output.Text }, token).ConfigureAwait(false);
                    if (firstText)
                    {
                        firstText = false;
                        observer.OnFirstText(Stopwatch.GetElapsedTime(arrivalTimestamp));
                    }
                    break;
                case StageOutput.KindOneofCase.Chunk when diffusionCall is not null && diffusionInfo is not null:
                    await diffusionCall.RequestStream.WriteAsync(new StageInput { Chunk = output.Chunk }, token).ConfigureAwait(false);
                    observer.OnTransferChunk(stages.Ar.StageId, arInfo.ReplicaId, stages.Diffusion.StageId, diffusionInfo.ReplicaId,
                        output.Chunk.Data.Length);
                    break;
                case StageOutput.KindOneofCase.Final:
                    arFinal = output.Final;
                    break;
                default:
                    throw new RpcException(new Status(StatusCode.Internal, $"The AR stage sent an unexpected {output.KindCase} message."));
            }
        }
        if (diffusionCall is not null)
        {
            await diffusionCall.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        return arFinal ?? throw new RpcException(new Status(StatusCode.Internal, "The AR stage ended without a final message."));
    }

    private async Task<StageFinal> ReadDiffusionOutputsAsync(ValidatedRequest request, AsyncDuplexStreamingCall<StageInput, StageOutput> call,
        long arrivalTimestamp, IServerStreamWriter<GenerateResponse> client, CancellationToken token)
    {
        StageFinal? final = null;
        await foreach (var output in call.ResponseStream.ReadAllAsync(token).ConfigureAwait(false))
        {
            switch (output.KindCase)
            {
                case StageOutput.KindOneofCase.Image:
                    await client.WriteAsync(new GenerateResponse { RequestId = request.RequestId, Image = output.Image }, token).ConfigureAwait(false);
                    observer.OnImage(Stopwatch.GetElapsedTime(arrivalTimestamp), (int)output.Image.Width, (int)output.Image.Height,
                        request.Image!.Steps);
                    break;
                case StageOutput.KindOneofCase.Final:
                    final = output.Final;
                    break;
                default:
                    throw new RpcException(new Status(StatusCode.Internal, $"The diffusion stage sent an unexpected {output.KindCase} message."));
            }
        }
        return final ?? throw new RpcException(new Status(StatusCode.Internal, "The diffusion stage ended without a final message."));
    }

    private static StageReport Report(StageEndpoint stage, StageInfo info, TimeSpan elapsed, StageFinal final)
    {
        var report = new StageReport
        {
            Stage = stage.Name,
            StageId = (uint)stage.StageId,
            ReplicaId = info.ReplicaId,
            GenTimeMs = elapsed.TotalMilliseconds,
        };
        report.Timings.AddRange(final.Timings);
        return report;
    }
}
