using Grpc.Core;
using Microsoft.Extensions.Options;
using Omni.Common.Engine;
using Omni.Common.Hosting;
using Omni.Common.Payloads;
using Omni.Common.Transfers;
using Omni.Common.Validation;
using Omni.Contracts.V1;
using Omni.DiffusionStage.Configuration;
using Omni.DiffusionStage.Engine;
using EngineImageFormat = Omni.DiffusionStage.Engine.ImageFormat;
using EngineTimestepSpacing = Omni.DiffusionStage.Scheduling.TimestepSpacing;
using ProtoImageFormat = Omni.Contracts.V1.ImageFormat;
using ProtoTimestepSpacing = Omni.Contracts.V1.TimestepSpacing;

namespace Omni.DiffusionStage.Grpc;

/// <summary>
/// Adapts the diffusion engine loop to the stage contract: a header, then the conditioning tensor in chunks (and,
/// when the header's image has a negative prompt, the negative prompt's hidden states as a second tensor); out
/// come the images, in index order, and a final message with the per-phase timings.
/// </summary>
public sealed partial class DiffusionStageService(DiffusionEngine engine, DiffusionEngineLoop loop, IOptions<StageIdentityOptions> identity,
    IOptions<DiffusionStageOptions> options) : Stage.StageBase
{
    /// <summary>The tensor the AR stage sends after the conditioning when the request has a negative prompt.</summary>
    public const string NegativeConditioningTensor = "negative_hidden_states";

    public override Task<StageInfo> GetInfo(GetInfoRequest request, ServerCallContext context) =>
        Task.FromResult(StageHeader.Info(identity.Value, "diffusion", engine.ModelName, engine.ConditioningWidth, engine.DeviceName));

    public override async Task Process(IAsyncStreamReader<StageInput> requestStream, IServerStreamWriter<StageOutput> responseStream,
        ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var header = await StageHeader.ReadAsync(requestStream, context).ConfigureAwait(false);
        var image = RequestValidator.ValidateImage(header.Image);
        if (string.IsNullOrEmpty(header.ConditioningTensor))
        {
            throw RequestValidator.Invalid("conditioning_tensor", "must name the input tensor that conditions the image");
        }
        if (header.ConditioningTensor == NegativeConditioningTensor)
        {
            throw RequestValidator.Invalid("conditioning_tensor", $"must not be '{NegativeConditioningTensor}', the negative prompt's tensor");
        }

        var names = image.NegativePrompt.Length > 0 ? new[] { header.ConditioningTensor, NegativeConditioningTensor } : [header.ConditioningTensor];
        var (tensors, receivedChunks) = await ReceiveInputAsync(header, requestStream, names, context).ConfigureAwait(false);
        var conditioning = RequireConditioning(tensors[header.ConditioningTensor]);
        var negative = image.NegativePrompt.Length > 0 ? RequireConditioning(tensors[NegativeConditioningTensor]) : null;

        var request = new DiffusionRequest(conditioning.Float32!, (int)conditioning.Shape[0], (int)conditioning.Shape[1])
        {
            Width = image.Width,
            Height = image.Height,
            Steps = image.Steps,
            GuidanceScale = image.GuidanceScale,
            Seed = image.Seed,
            NumImages = image.NumImages,
            Format = image.OutputFormat == ProtoImageFormat.Rgb8 ? EngineImageFormat.Rgb8 : EngineImageFormat.Png,
            Sampler = image.Scheduler == Scheduler.Ddim ? SamplerKind.Ddim : SamplerKind.FlowMatchEuler,
            Shift = image.Shift,
            TimestepSpacing = image.TimestepSpacing == ProtoTimestepSpacing.Trailing ? EngineTimestepSpacing.Trailing : EngineTimestepSpacing.Leading,
            NegativeConditioning = negative?.Float32,
            NegativeConditioningTokens = negative is null ? 0 : (int)negative.Shape[0],
        };
        DiffusionResult result;
        try
        {
            result = await loop.SubmitAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (QueueFullException full)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, full.Message));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "The request was cancelled."));
        }
        catch (ArgumentException argument)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, argument.Message));
        }

        foreach (var generated in result.Images)
        {
            await responseStream.WriteAsync(new StageOutput
            {
                Image = new Image
                {
                    Data = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(generated.Data),
                    MimeType = result.MimeType,
                    Width = (uint)result.Width,
                    Height = (uint)result.Height,
                    Seed = generated.Seed,
                    Index = (uint)generated.Index,
                },
            }, cancellationToken).ConfigureAwait(false);
        }
        var final = new StageFinal { FinishReason = FinishReason.Stop, Usage = new Usage() };
        final.Timings.Add(new Timing { Name = "preprocess", Milliseconds = result.PreprocessTime.TotalMilliseconds });
        final.Timings.Add(new Timing { Name = "exec", Milliseconds = result.ExecTime.TotalMilliseconds });
        final.Timings.Add(new Timing { Name = "postprocess", Milliseconds = result.PostprocessTime.TotalMilliseconds });
        final.ReceivedChunks.AddRange(receivedChunks);
        await responseStream.WriteLastAsync(new StageOutput { Final = final }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A float32 [tokens, width] tensor of the model's conditioning width.</summary>
    private ReceivedTensor RequireConditioning(ReceivedTensor tensor)
    {
        if (tensor.Float32 is null || tensor.Shape.Length != 2 || tensor.Shape[0] < 1)
        {
            throw RequestValidator.Invalid("chunk", $"tensor '{tensor.Name}' must be float32 [tokens, width], got {tensor.Dtype} " +
                $"[{string.Join(", ", tensor.Shape)}]");
        }
        if (tensor.Shape[1] != engine.ConditioningWidth)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"Conditioning width {tensor.Shape[1]} of tensor '{tensor.Name}' does not match the diffusion model's conditioning width {engine.ConditioningWidth}."));
        }
        return tensor;
    }
}
