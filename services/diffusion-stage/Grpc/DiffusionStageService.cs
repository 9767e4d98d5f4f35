using Grpc.Core;
using Microsoft.Extensions.Options;
using Omni.Common.Engine;
using Omni.Common.Hosting;
using Omni.Common.Payloads;
using Omni.Common.Validation;
using Omni.Contracts.V1;
using Omni.DiffusionStage.Configuration;
using Omni.DiffusionStage.Engine;
using Omni.DiffusionStage.Metrics;

namespace Omni.DiffusionStage.Grpc;

/// <summary>
/// Adapts the diffusion engine to the stage contract: a header, then the conditioning tensor in chunks; out come
/// the image and a final message with the per-phase timings.
/// </summary>
public sealed class DiffusionStageService(DiffusionEngine engine, EngineWorkQueue queue, IDiffusionStageObserver observer,
    IOptions<StageIdentityOptions> identity, IOptions<DiffusionStageOptions> options) : Stage.StageBase
{
    public override Task<StageInfo> GetInfo(GetInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new StageInfo
        {
            Kind = "diffusion",
            StageId = (uint)identity.Value.StageId,
            ReplicaId = (uint)identity.Value.ReplicaId,
            ModelName = engine.ModelName,
            HiddenSize = (uint)engine.ConditioningWidth,
            Device = engine.DeviceName,
        });

    public override async Task Process(IAsyncStreamReader<StageInput> requestStream, IServerStreamWriter<StageOutput> responseStream,
        ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false) || requestStream.Current.KindCase != StageInput.KindOneofCase.Header)
        {
            throw RequestValidator.Invalid("header", "must be the first message of the stream");
        }
        var header = requestStream.Current.Header;
        var image = RequestValidator.ValidateImage(header.Image);
        if (string.IsNullOrEmpty(header.ConditioningTensor))
        {
            throw RequestValidator.Invalid("conditioning_tensor", "must name the input tensor that conditions the image");
        }

        var conditioning = await ReceiveConditioningAsync(requestStream, header.ConditioningTensor, cancellationToken).ConfigureAwait(false);
        if (conditioning.Float32 is null || conditioning.Shape.Length != 2)
        {
            throw RequestValidator.Invalid("chunk", $"tensor '{conditioning.Name}' must be float32 [tokens, width], got {conditioning.Dtype} " +
                $"[{string.Join(", ", conditioning.Shape)}]");
        }
        if (conditioning.Shape[1] != engine.ConditioningWidth)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"Conditioning width {conditioning.Shape[1]} does not match the diffusion model's conditioning width {engine.ConditioningWidth}."));
        }

        var request = new DiffusionRequest(conditioning.Float32, (int)conditioning.Shape[0], (int)conditioning.Shape[1])
        {
            Width = image.Width,
            Height = image.Height,
            Steps = image.Steps,
            GuidanceScale = image.GuidanceScale,
            Seed = image.Seed,
        };
        DiffusionResult result;
        try
        {
            result = await queue.RunAsync((_, token) => engine.Generate(request, observer, token), cancellationToken).ConfigureAwait(false);
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
        observer.OnCompleted(result);

        await responseStream.WriteAsync(new StageOutput
        {
            Image = new Image
            {
                Data = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(result.Image),
                MimeType = "image/png",
                Width = (uint)result.Width,
                Height = (uint)result.Height,
                Seed = image.Seed,
            },
        }, cancellationToken).ConfigureAwait(false);
        var final = new StageFinal { FinishReason = FinishReason.Stop, Usage = new Usage() };
        final.Timings.Add(new Timing { Name = "preprocess", Milliseconds = result.PreprocessTime.TotalMilliseconds });
        final.Timings.Add(new Timing { Name = "exec", Milliseconds = result.ExecTime.TotalMilliseconds });
        final.Timings.Add(new Timing { Name = "postprocess", Milliseconds = result.PostprocessTime.TotalMilliseconds });
        await responseStream.WriteAsync(new StageOutput { Final = final }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ReceivedTensor> ReceiveConditioningAsync(IAsyncStreamReader<StageInput> requestStream, string name,
        CancellationToken cancellationToken)
    {
        var assembler = new TensorAssembler(options.Value.MaxConditioningBytes);
        while (await requestStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var input = requestStream.Current;
            if (input.KindCase != StageInput.KindOneofCase.Chunk)
            {
                throw RequestValidator.Invalid("chunk", $"expected tensor chunks after the header, got {input.KindCase}");
            }
            if (input.Chunk.Name != name)
            {
                continue; // Tensors this stage does not consume.
            }
            try
            {
                assembler.Add(input.Chunk);
            }
            catch (InvalidDataException invalid)
            {
                throw RequestValidator.Invalid("chunk", invalid.Message);
            }
        }
        return assembler.IsComplete
            ? assembler.Result()
            : throw RequestValidator.Invalid("chunk", $"the input ended before tensor '{name}' was complete");
    }
}
