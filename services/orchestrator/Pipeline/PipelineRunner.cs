using System.Diagnostics;
using Grpc.Core;
using Omni.Contracts.V1;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Routing;

namespace Omni.Orchestrator.Pipeline;

/// <summary>
/// Runs one admitted request through the stages. Each stage gets one replica, picked least-loaded and kept for the
/// whole request. The AR stage always runs; for images the diffusion stage gets the AR stage's hidden states,
/// through the orchestrator chunk by chunk (relay) or pushed straight by the AR replica to the bound diffusion
/// replica (direct). Text streams to the client as it is generated, the image after it, then one final message
/// built from the same measurements as the metrics.
/// </summary>
public sealed class PipelineRunner(PipelineStages stages, IPipelineObserver observer)
{
    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(3);

    public async Task<GenerateFinal> RunAsync(ValidatedRequest request, long arrivalTimestamp, TimeSpan queueTime,
        IServerStreamWriter<GenerateResponse> client, DateTime? deadline, CancellationToken cancellationToken)
    {
        var final = new GenerateFinal { QueueTimeMs = queueTime.TotalMilliseconds, Usage = new Usage() };
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = linked.Token;
        var edge = stages.ArToDiffusion;

        StageReplica? diffusion = null;
        IDisposable? diffusionBinding = null;
        AsyncDuplexStreamingCall<StageInput, StageOutput>? diffusionCall = null;
        try
        {
            var ar = await PickAsync(stages.Ar, null, token).ConfigureAwait(false);
            if (request.WantsImage)
            {
                diffusion = await PickAsync(stages.Diffusion, null, token).ConfigureAwait(false);
                diffusionBinding = diffusion.Bind();
                if (diffusion.Info!.HiddenSize != ar.Info!.HiddenSize)
                {
                    throw new RpcException(new Status(StatusCode.FailedPrecondition,
                        $"The diffusion stage expects conditioning of width {diffusion.Info.HiddenSize}, but the AR stage emits {ar.Info.HiddenSize}."));
                }
            }

            var transferId = Guid.NewGuid().ToString("N");
            var direct = request.WantsImage && edge.Connector == Connector.Direct;
            var diffusionStart = Stopwatch.GetTimestamp();
            if (diffusion is not null)
            {
                diffusionCall = diffusion.Client.Process(deadline: deadline, cancellationToken: token);
                await diffusionCall.RequestStream.WriteAsync(new StageInput
                {
                    Header = new StageRequest
                    {
                        RequestId = request.RequestId,
                        Prompt = request.Prompt,
                        Image = request.ToImageParams(),
                        ConditioningTensor = ValidatedRequest.ConditioningTensor,
                        ReceiveTransferId = direct ? transferId : "",
                    },
                }, token).ConfigureAwait(false);
                if (direct)
                {
                    await diffusionCall.RequestStream.CompleteAsync().ConfigureAwait(false);
                }
            }

            // The AR call: retried once on another replica when the first cannot be reached before it produced anything.
            ArOutcome arOutcome;
            while (true)
            {
                try
                {
                    arOutcome = await RunArAsync(request, ar, diffusion, diffusionCall, direct ? transferId : null, arrivalTimestamp, client, deadline,
                        token).ConfigureAwait(false);
                    break;
                }
                catch (ArUnreachableException unreachable) when (!token.IsCancellationRequested)
                {
                    ar.ReportFailure(unreachable.InnerException!);
                    var other = await PickAsync(stages.Ar, ar, token).ConfigureAwait(false);
                    if (other == ar)
                    {
                        throw unreachable.InnerException!;
                    }
                    ar = other;
                }
            }
            observer.OnStageCompleted(stages.Ar.StageId, ar.ReplicaId, arOutcome.Elapsed);
            final.Usage = arOutcome.Final.Usage ?? new Usage();
            final.FinishReason = request.WantsText ? arOutcome.Final.FinishReason : FinishReason.Stop;
            final.Stages.Add(Report(stages.Ar, ar, arOutcome.Elapsed, arOutcome.Final));

            if (diffusion is not null && diffusionCall is not null)
            {
                var diffusionFinal = await ReadDiffusionOutputsAsync(request, diffusionCall, arrivalTimestamp, client, token).ConfigureAwait(false);
                // The diffusion call starts with the AR call (its header goes out first), so this includes waiting for input.
                var diffusionTime = Stopwatch.GetElapsedTime(diffusionStart);
                observer.OnStageCompleted(stages.Diffusion.StageId, diffusion.ReplicaId, diffusionTime);
                final.Stages.Add(Report(stages.Diffusion, diffusion, diffusionTime, diffusionFinal));
                if (!request.WantsText)
                {
                    final.FinishReason = diffusionFinal.FinishReason;
                }
                var ledger = arOutcome.Ledger!;
                ledger.MergeSent(arOutcome.Final);
                ledger.MergeReceived(diffusionFinal.ReceivedChunks);
                ledger.Observe(observer);
                final.Transfers.Add(ledger.Report());
            }
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable && diffusion is not null && !token.IsCancellationRequested)
        {
            diffusion.ReportFailure(error);
            throw;
        }
        finally
        {
            await linked.CancelAsync().ConfigureAwait(false);
            diffusionCall?.Dispose();
            diffusionBinding?.Dispose();
        }
        final.E2ETimeMs = Stopwatch.GetElapsedTime(arrivalTimestamp).TotalMilliseconds;
        return final;
    }

    private async Task<ArOutcome> RunArAsync(ValidatedRequest request, StageReplica ar, StageReplica? diffusion,
        AsyncDuplexStreamingCall<StageInput, StageOutput>? diffusionCall, string? directTransferId, long arrivalTimestamp,
        IServerStreamWriter<GenerateResponse> client, DateTime? deadline, CancellationToken token)
    {
        using var binding = ar.Bind();
        var start = Stopwatch.GetTimestamp();
        using var call = ar.Client.Process(deadline: deadline, cancellationToken: token);
        var header = new StageRequest
        {
            RequestId = request.RequestId,
            Prompt = request.Prompt,
            Text = request.ToTextParams(),
            EmitText = request.WantsText,
            EmitHiddenStates = request.WantsImage,
        };
        if (request.WantsImage)
        {
            header.Image = request.ToImageParams();
        }
        if (directTransferId is not null && diffusion is not null)
        {
            header.ForwardTo = new DirectTarget
            {
                Address = diffusion.Address,
                TransferId = directTransferId,
                MaxChunksInFlight = (uint)stages.ArToDiffusion.MaxChunksInFlight,
            };
        }
        var ledger = diffusion is null
            ? null
            : new TransferLedger(stages.Ar.StageId, ar.ReplicaId, stages.Diffusion.StageId, diffusion.ReplicaId,
                directTransferId is null ? Connector.Relay : Connector.Direct);

        var produced = false;
        try
        {
            await call.RequestStream.WriteAsync(new StageInput { Header = header }, token).ConfigureAwait(false);
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            StageFinal? arFinal = null;
            var firstText = true;
            while (await call.ResponseStream.MoveNext(token).ConfigureAwait(false))
            {
                produced = true;
                var output = call.ResponseStream.Current;
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
                    case StageOutput.KindOneofCase.Chunk when diffusionCall is not null && ledger is not null && directTransferId is null:
                        var received = Stopwatch.GetTimestamp();
                        await diffusionCall.RequestStream.WriteAsync(new StageInput { Chunk = output.Chunk }, token).ConfigureAwait(false);
                        ledger.AddRelayed((ulong)output.Chunk.Data.Length, received, Stopwatch.GetTimestamp());
                        break;
                    case StageOutput.KindOneofCase.Final:
                        arFinal = output.Final;
                        break;
                    default:
                        throw new RpcException(new Status(StatusCode.Internal, $"The AR stage sent an unexpected {output.KindCase} message."));
                }
            }
            if (diffusionCall is not null && directTransferId is null)
            {
                await diffusionCall.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            return new ArOutcome(arFinal ?? throw new RpcException(new Status(StatusCode.Internal, "The AR stage ended without a final message.")),
                Stopwatch.GetElapsedTime(start), ledger);
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable && !produced)
        {
            throw new ArUnreachableException(error);
        }
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

    private static async Task<StageReplica> PickAsync(ReplicaSet set, StageReplica? exclude, CancellationToken token)
    {
        if (!set.Replicas.Any(replica => replica.State == ReplicaState.Ready && replica != exclude))
        {
            await set.WaitReadyAsync(ReadyWait, token).ConfigureAwait(false);
        }
        try
        {
            return set.Pick(exclude);
        }
        catch (RpcException) when (exclude is not null)
        {
            return exclude;
        }
    }

    private static StageReport Report(ReplicaSet stage, StageReplica replica, TimeSpan elapsed, StageFinal final)
    {
        var report = new StageReport
        {
            Stage = stage.Name,
            StageId = (uint)stage.StageId,
            ReplicaId = replica.ReplicaId,
            GenTimeMs = elapsed.TotalMilliseconds,
        };
        report.Timings.AddRange(final.Timings);
        return report;
    }

    private sealed record ArOutcome(StageFinal Final, TimeSpan Elapsed, TransferLedger? Ledger);

    private sealed class ArUnreachableException(RpcException inner) : Exception(inner.Message, inner);
}
