using System.Diagnostics;
using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Omni.Common.Stages;
using Omni.Common.Tracing;
using Omni.Common.Validation;
using Omni.Contracts.V1;
using Omni.DiffusionStage.Configuration;
using Omni.DiffusionStage.Encoding;
using Omni.DiffusionStage.Engine;
using EngineImageFormat = Omni.DiffusionStage.Engine.ImageFormat;

namespace Omni.DiffusionStage.Grpc;

/// <summary>
/// A video model's side of the stage contract: in, the <c>hidden_states</c> that condition the clip; out, the
/// <c>video</c> as chunks while it is made, then a final message with the per-phase timings. The engine decodes the
/// denoised clip frame by frame; each frame goes out at once as a raw RGB8 chunk (VIDEO_FORMAT_FRAMES), or to ffmpeg,
/// whose fragmented MP4 goes out piece by piece as it is muxed (VIDEO_FORMAT_MP4).
/// </summary>
public sealed class VideoProcessor(DiffusionEngine engine, DiffusionEngineLoop loop, IOptions<DiffusionStageOptions> options)
{
    public const string VideoOutput = "video";

    public async Task ProcessAsync(StageCall call)
    {
        var video = RequestValidator.ValidateVideo(call.Header.Video);
        if (video.Frames % engine.TemporalPatchSize != 0)
        {
            throw RequestValidator.Invalid("video.frames",
                $"must be a multiple of {engine.TemporalPatchSize}, the video model's frames per patch, got {video.Frames}");
        }
        var (inputs, conditioning) = await ConditioningInputs.ReceiveAsync(call, engine, options.Value.MaxConditioningBytes, VideoOutput).ConfigureAwait(false);
        var request = new DiffusionRequest(conditioning.Float32!, (int)conditioning.Shape[0], (int)conditioning.Shape[1])
        {
            Width = video.Width,
            Height = video.Height,
            Frames = video.Frames,
            Steps = video.Steps,
            GuidanceScale = video.GuidanceScale,
            Seed = video.Seed,
            Format = EngineImageFormat.Rgb8,
            Sampler = video.Scheduler.ToSampler(),
        };

        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(call.CancellationToken);
        var frames = Channel.CreateUnbounded<VideoFrame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = new ChunkWriter(call, video);
        // ffmpeg starts with the request, so that it is ready (its libraries loaded) when the first frame is decoded.
        var encoder = video.Format == VideoFormat.Mp4
            ? new Mp4StreamEncoder(video.Width, video.Height, video.Fps, (bytes, token) => writer.WriteAsync(bytes, writer.FramesEncoded, token),
                cancellation.Token)
            : null;
        var submitted = Stopwatch.GetTimestamp();
        Task<DiffusionResult>? generation = null;
        long? encodeStarted = null;
        var completed = false;
        try
        {
            generation = loop.SubmitAsync(request, cancellation.Token, frame => frames.Writer.TryWrite(frame));
            _ = generation.ContinueWith(task => frames.Writer.TryComplete(task.IsCanceled ? new OperationCanceledException() : task.Exception?.InnerException),
                TaskScheduler.Default);
            await foreach (var frame in frames.Reader.ReadAllAsync(cancellation.Token).ConfigureAwait(false))
            {
                encodeStarted ??= Stopwatch.GetTimestamp();
                if (encoder is null)
                {
                    await writer.WriteAsync(frame.Rgb, frame.Index, cancellation.Token).ConfigureAwait(false);
                    continue;
                }
                encoder.Add(frame.Rgb);
                writer.FramesEncoded++;
            }
            if (encoder is not null)
            {
                await encoder.CompleteAsync().ConfigureAwait(false);
            }
            completed = true;
        }
        finally
        {
            if (!completed)
            {
                // Stops the engine's work on this request (within a step) and kills ffmpeg.
                await cancellation.CancelAsync().ConfigureAwait(false);
                if (encoder is not null)
                {
                    encoder.Abandon(new OperationCanceledException());
                    await IgnoreFailure(encoder.CompleteAsync()).ConfigureAwait(false);
                }
                if (generation is not null)
                {
                    await IgnoreFailure(generation).ConfigureAwait(false);
                }
            }
        }

        var result = await generation.ConfigureAwait(false);
        var encodeTime = encodeStarted is { } start ? Stopwatch.GetElapsedTime(start) : TimeSpan.Zero;
        PhaseSpans.Record("diffusion", submitted,
            [("preprocess", result.PreprocessTime), ("denoise", result.ExecTime), ("postprocess", result.PostprocessTime)]);

        var final = new StageFinal { FinishReason = FinishReason.Stop, Usage = new Usage() };
        final.Timings.Add(new Timing { Name = "preprocess", Milliseconds = result.PreprocessTime.TotalMilliseconds });
        final.Timings.Add(new Timing { Name = "exec", Milliseconds = result.ExecTime.TotalMilliseconds });
        final.Timings.Add(new Timing { Name = "postprocess", Milliseconds = result.PostprocessTime.TotalMilliseconds });
        // From the first decoded frame to the last chunk written: overlaps postprocess (decoding), since each frame is
        // encoded while the next is decoded.
        final.Timings.Add(new Timing { Name = "encode", Milliseconds = encodeTime.TotalMilliseconds });
        final.ReceivedChunks.AddRange(inputs.Chunks);
        await call.WriteFinalAsync(final).ConfigureAwait(false);
    }

    private static async Task IgnoreFailure(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The request already failed or was cancelled; this is only its cleanup.
        }
    }

    /// <summary>Writes the request's video chunks in order, numbering them.</summary>
    private sealed class ChunkWriter(StageCall call, ResolvedVideoParameters video)
    {
        private uint _index;

        /// <summary>Frames handed to the encoder so far (MP4).</summary>
        public int FramesEncoded { get; set; }

        public Task WriteAsync(ReadOnlyMemory<byte> data, int frame, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return call.WriteAsync(new StageOutput
            {
                Video = new VideoChunk
                {
                    Data = UnsafeByteOperations.UnsafeWrap(data),
                    MimeType = video.Format == VideoFormat.Frames ? DiffusionResult.Rgb8MimeType : Mp4StreamEncoder.MimeType,
                    Format = video.Format,
                    Width = (uint)video.Width,
                    Height = (uint)video.Height,
                    Fps = (uint)video.Fps,
                    Index = _index++,
                    Frame = (uint)frame,
                    Seed = video.Seed,
                },
            });
        }
    }
}
