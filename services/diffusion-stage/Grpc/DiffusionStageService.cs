using System.Diagnostics;
using Microsoft.Extensions.Options;
using Omni.Common.Payloads;
using Omni.Common.Stages;
using Omni.Common.Tracing;
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
/// Adapts the diffusion engine loop to the stage contract: in, the <c>hidden_states</c> that condition the image (and,
/// when the image has a negative prompt, <c>negative_hidden_states</c> for the unconditional branch), relayed or
/// pushed; out, the images in index order and a final message with the per-phase timings. Engine errors become
/// statuses in <see cref="Common.Hosting.ExceptionStatusInterceptor"/>. A replica serving a video model answers with
/// <c>video</c> instead (<see cref="VideoProcessor"/>).
/// </summary>
public sealed class DiffusionStageService(DiffusionEngine engine, DiffusionEngineLoop loop, VideoProcessor video, StageHost host,
    IOptions<DiffusionStageOptions> options)
    : StageServiceBase(host)
{
    public const string ConditioningTensor = ConditioningInputs.ConditioningTensor;
    public const string NegativeConditioningTensor = ConditioningInputs.NegativeConditioningTensor;
    public const string ImageOutput = "image";

    protected override StageDescription Description { get; } = new("diffusion", engine.ModelName, engine.ConditioningWidth, engine.DeviceName,
        [ConditioningTensor, NegativeConditioningTensor], [engine.IsVideo ? VideoProcessor.VideoOutput : ImageOutput]);

    protected override async Task ProcessAsync(StageCall call)
    {
        if (engine.IsVideo)
        {
            await video.ProcessAsync(call).ConfigureAwait(false);
            return;
        }

        var image = RequestValidator.ValidateImage(call.Header.Image);
        var (inputs, conditioning) = await ConditioningInputs.ReceiveAsync(call, engine, options.Value.MaxConditioningBytes, ImageOutput).ConfigureAwait(false);
        var negative = image.NegativePrompt.Length > 0 ? ConditioningInputs.Require(inputs, NegativeConditioningTensor, engine) : null;

        var request = new DiffusionRequest(conditioning.Float32!, (int)conditioning.Shape[0], (int)conditioning.Shape[1])
        {
            Width = image.Width,
            Height = image.Height,
            Steps = image.Steps,
            GuidanceScale = image.GuidanceScale,
            Seed = image.Seed,
            NumImages = image.NumImages,
            Format = image.OutputFormat == ProtoImageFormat.Rgb8 ? EngineImageFormat.Rgb8 : EngineImageFormat.Png,
            Sampler = image.Scheduler.ToSampler(),
            Shift = image.Shift,
            TimestepSpacing = image.TimestepSpacing == ProtoTimestepSpacing.Trailing ? EngineTimestepSpacing.Trailing : EngineTimestepSpacing.Leading,
            NegativeConditioning = negative?.Float32,
            NegativeConditioningTokens = negative is null ? 0 : (int)negative.Shape[0],
        };
        var submitted = Stopwatch.GetTimestamp();
        var result = await loop.SubmitAsync(request, call.CancellationToken).ConfigureAwait(false);
        PhaseSpans.Record("diffusion", submitted,
            [("preprocess", result.PreprocessTime), ("denoise", result.ExecTime), ("postprocess", result.PostprocessTime)]);

        foreach (var generated in result.Images)
        {
            await call.WriteAsync(new StageOutput
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
            }).ConfigureAwait(false);
        }
        var final = new StageFinal { FinishReason = FinishReason.Stop, Usage = new Usage() };
        final.Timings.Add(new Timing { Name = "preprocess", Milliseconds = result.PreprocessTime.TotalMilliseconds });
        final.Timings.Add(new Timing { Name = "exec", Milliseconds = result.ExecTime.TotalMilliseconds });
        final.Timings.Add(new Timing { Name = "postprocess", Milliseconds = result.PostprocessTime.TotalMilliseconds });
        final.ReceivedChunks.AddRange(inputs.Chunks);
        await call.WriteFinalAsync(final).ConfigureAwait(false);
    }
}
