using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Omni.Contracts.V1;
using Omni.Orchestrator.OpenAi;

namespace Omni.Orchestrator.Tests.OpenAi;

/// <summary><c>POST /v1/videos/sync</c>: its JSON converted to a video request, and the clip's bytes streamed back as the body.</summary>
public sealed class VideoGenerationTests
{
    private const string Model = "omni-default";

    [Fact]
    public void Convert_VideoRequest_AsksForVideoOnlyWithThePromptAsSent()
    {
        var call = Convert("""{"prompt":"A red square"}""");

        Assert.Equal([Modality.Video], call.Request.Outputs);
        Assert.Equal(("A red square", false), (call.Request.Prompt, call.Stream));
    }

    [Fact]
    public void Convert_EveryField_SetsTheVideoParams()
    {
        var call = Convert("""
            {"prompt":"x","model":"omni-default","size":"96x64","num_frames":6,"fps":12,"num_inference_steps":3,"guidance_scale":2.5,
             "seed":7,"scheduler":"ddim","output_format":"frames","user":"ignored"}
            """);

        Assert.Equal(new VideoParams
        {
            Width = 96,
            Height = 64,
            Frames = 6,
            Fps = 12,
            NumInferenceSteps = 3,
            GuidanceScale = 2.5f,
            Seed = 7,
            Scheduler = Scheduler.Ddim,
            Format = VideoFormat.Frames,
        }, call.Request.Video);
    }

    [Fact]
    public void Convert_NoVideoFields_LeavesTheDefaultsToValidation()
    {
        var call = Convert("""{"prompt":"x","size":"auto"}""");

        Assert.Null(call.Request.Video);
    }

    [Theory]
    [InlineData("""{"prompt":"x","seconds":"2","fps":4}""", 8u)]
    [InlineData("""{"prompt":"x","seconds":2,"fps":4}""", 8u)]
    [InlineData("""{"prompt":"x","seconds":"0.5"}""", 4u)]
    [InlineData("""{"prompt":"x","seconds":0.1,"fps":20}""", 2u)]
    [InlineData("""{"prompt":"x","seconds":"1","num_frames":8}""", 8u)]
    public void Convert_Seconds_FramesAreSecondsTimesFpsOrTheDefaultFps(string body, uint frames)
    {
        Assert.Equal(frames, Convert(body).Request.Video.Frames);
    }

    [Fact]
    public void Convert_SecondsAndNumFramesDisagreeing_InvalidNamingBoth()
    {
        var error = Assert.Throws<OpenAiRequestException>(() => Convert("""{"prompt":"x","seconds":"1","fps":4,"num_frames":8}"""));

        Assert.Equal((400, "seconds"), (error.StatusCode, error.Param));
        Assert.Contains("num_frames", error.Message, StringComparison.Ordinal);
        Assert.Contains("seconds", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"prompt":"x","size":"big"}""", "size")]
    [InlineData("""{"prompt":"x","size":"64"}""", "size")]
    [InlineData("""{"prompt":"x","size":64}""", "size")]
    [InlineData("""{"prompt":"x","output_format":"webm"}""", "output_format")]
    [InlineData("""{"prompt":"x","output_format":"mp4 "}""", "output_format")]
    [InlineData("""{"prompt":"x","scheduler":"heun"}""", "scheduler")]
    [InlineData("""{"prompt":"x","num_frames":-1}""", "num_frames")]
    [InlineData("""{"prompt":"x","num_frames":"8"}""", "num_frames")]
    [InlineData("""{"prompt":"x","fps":1.5}""", "fps")]
    [InlineData("""{"prompt":"x","num_frames":0}""", "num_frames")]
    [InlineData("""{"prompt":"x","fps":0}""", "fps")]
    [InlineData("""{"prompt":"x","seconds":2,"fps":0}""", "fps")]
    [InlineData("""{"prompt":"x","num_inference_steps":0}""", "num_inference_steps")]
    [InlineData("""{"prompt":"x","size":"0x128"}""", "size")]
    [InlineData("""{"prompt":"x","seconds":"two"}""", "seconds")]
    [InlineData("""{"prompt":"x","seconds":true}""", "seconds")]
    [InlineData("""{"prompt":"x","seconds":0}""", "seconds")]
    [InlineData("""{"prompt":"x","seconds":"-1"}""", "seconds")]
    [InlineData("""{"prompt":"x","seconds":"NaN"}""", "seconds")]
    [InlineData("""{"prompt":"x","seconds":0.3}""", "seconds")]
    [InlineData("""{"prompt":"x","seconds":10}""", "seconds")]
    [InlineData("""{"prompt":"x","seconds":1e300}""", "seconds")]
    [InlineData("""{"prompt":"x","negative_prompt":"blurry"}""", "negative_prompt")]
    [InlineData("""{"prompt":"x","input_reference":"frame.png"}""", "input_reference")]
    [InlineData("""{"prompt":"x","width":64}""", "width")]
    [InlineData("""{"prompt":"x","stream_options":{}}""", "stream_options")]
    public void Convert_VideoFieldItCannotHonour_InvalidNamingTheField(string body, string param)
    {
        var error = Assert.Throws<OpenAiRequestException>(() => Convert(body));

        Assert.Equal((400, param), (error.StatusCode, error.Param));
        Assert.StartsWith(param, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_AnotherModel_NotFound()
    {
        var error = Assert.Throws<OpenAiRequestException>(() => Convert("""{"model":"sora-2","prompt":"x"}"""));

        Assert.Equal((404, "model"), (error.StatusCode, error.Param));
    }

    [Theory]
    [InlineData("video.width must be a multiple of 16 in [64, 512], got 100.", """{"size":"100x64"}""", "size")]
    [InlineData("video.height must be a multiple of 16 in [64, 512], got 100.", """{"size":"64x100"}""", "size")]
    [InlineData("video.frames must be in [2, 48], got 49.", """{"num_frames":49}""", "num_frames")]
    [InlineData("video.fps must be in [1, 60], got 61.", """{"fps":61}""", "fps")]
    [InlineData("video.num_inference_steps must be in [1, 200], got 201.", """{"num_inference_steps":201}""", "num_inference_steps")]
    [InlineData("video.guidance_scale must be in [1, 20], got 30.", """{"guidance_scale":30}""", "guidance_scale")]
    [InlineData("prompt must not be empty.", "{}", "prompt")]
    public void FromStatus_ValidationOfAVideoField_NamesTheOpenAiField(string detail, string body, string param)
    {
        using var document = JsonDocument.Parse(body);

        var error = OpenAiErrors.FromStatus(new Status(StatusCode.InvalidArgument, detail), OpenAiApi.VideoGenerations, JsonBody.Parse(document));

        Assert.Equal((400, param), (error.StatusCode, error.Param));
        Assert.StartsWith(param + " ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_VideoChunks_EachWrittenAndFlushedAsItArrives()
    {
        var (context, body) = Context();
        var response = new VideoResponse(context, new VideoParams { Frames = 4 });

        await response.WriteAsync(Chunk(0, [0, 0, 0, 24, 1, 2]), CancellationToken.None);
        var afterFirst = (body.ToArray(), body.Flushes);
        await response.WriteAsync(Chunk(1, [3, 4, 5]), CancellationToken.None);
        await response.WriteAsync(Final(), CancellationToken.None);

        Assert.Equal([0, 0, 0, 24, 1, 2], afterFirst.Item1);
        Assert.Equal(1, afterFirst.Flushes);
        Assert.Equal([0, 0, 0, 24, 1, 2, 3, 4, 5], body.ToArray());
        Assert.Equal(2, body.Flushes);
    }

    [Fact]
    public async Task WriteAsync_FirstChunk_Status200ContentTypeAndTheClipsHeaders()
    {
        var (context, _) = Context();
        var response = new VideoResponse(context, new VideoParams { Width = 96, Height = 64, Frames = 6, Fps = 12 });

        await response.WriteAsync(Chunk(0, [1], seed: 77), CancellationToken.None);

        var headers = context.Response.Headers;
        Assert.Equal((200, "video/mp4", "6", "12", "96", "64", "77"),
            (context.Response.StatusCode, context.Response.ContentType, (string?)headers[VideoResponse.FramesHeader], (string?)headers[VideoResponse.FpsHeader],
                (string?)headers[VideoResponse.WidthHeader], (string?)headers[VideoResponse.HeightHeader], (string?)headers[VideoResponse.SeedHeader]));
        Assert.True(response.Started);
    }

    [Fact]
    public async Task WriteAsync_NoVideoFields_HeadersHaveTheDefaults()
    {
        var (context, _) = Context();

        await new VideoResponse(context, null).WriteAsync(Chunk(0, [1]), CancellationToken.None);

        var headers = context.Response.Headers;
        Assert.Equal(("16", "8", "128", "128"), ((string?)headers[VideoResponse.FramesHeader], (string?)headers[VideoResponse.FpsHeader],
            (string?)headers[VideoResponse.WidthHeader], (string?)headers[VideoResponse.HeightHeader]));
    }

    [Fact]
    public async Task WriteAsync_Frames_ContentTypeIsRawRgb8()
    {
        var (context, _) = Context();
        var chunk = Chunk(0, [1, 2, 3]);
        chunk.Video.MimeType = "application/x-rgb8";
        chunk.Video.Format = VideoFormat.Frames;

        await new VideoResponse(context, new VideoParams { Format = VideoFormat.Frames }).WriteAsync(chunk, CancellationToken.None);

        Assert.Equal("application/x-rgb8", context.Response.ContentType);
    }

    [Fact]
    public async Task WriteErrorAsync_BeforeTheFirstChunk_OpenAiErrorJsonWithItsStatus()
    {
        var (context, body) = Context();
        var response = new VideoResponse(context, null);

        await response.WriteErrorAsync(
            OpenAiErrors.FromStatus(new Status(StatusCode.ResourceExhausted, "The queue is full."), OpenAiApi.VideoGenerations, null));

        using var error = JsonDocument.Parse(body.ToArray());
        Assert.Equal((429, "application/json", "rate_limit_error"),
            (context.Response.StatusCode, context.Response.ContentType, error.RootElement.GetProperty("error").GetProperty("type").GetString()));
    }

    [Fact]
    public async Task WriteErrorAsync_AfterTheFirstChunk_AbortsTheResponseAndWritesNothingMore()
    {
        var (context, body) = Context();
        var lifetime = new RecordingLifetime();
        context.Features.Set<IHttpRequestLifetimeFeature>(lifetime);
        var response = new VideoResponse(context, null);
        await response.WriteAsync(Chunk(0, [1, 2]), CancellationToken.None);

        await response.WriteErrorAsync(OpenAiErrors.FromStatus(new Status(StatusCode.Internal, "A stage failed."), OpenAiApi.VideoGenerations, null));

        Assert.True(lifetime.Aborted);
        Assert.Equal([1, 2], body.ToArray());
        Assert.Equal(200, context.Response.StatusCode);
    }

    [Fact]
    public async Task WriteAsync_FinalWithoutVideo_Throws()
    {
        var (context, _) = Context();

        await Assert.ThrowsAsync<InvalidOperationException>(() => new VideoResponse(context, null).WriteAsync(Final(), CancellationToken.None));
    }

    private static OpenAiCall Convert(string body)
    {
        using var document = JsonDocument.Parse(body);
        return OpenAiRequestConverter.Convert(OpenAiApi.VideoGenerations, new OpenAiInput(JsonBody.Parse(document), null), Model);
    }

    private static (DefaultHttpContext Context, FlushCountingStream Body) Context()
    {
        var context = new DefaultHttpContext();
        var body = new FlushCountingStream();
        context.Response.Body = body;
        return (context, body);
    }

    private static GenerateResponse Chunk(uint index, byte[] data, ulong seed = 19) => new()
    {
        RequestId = "req-1",
        Video = new VideoChunk
        {
            Data = ByteString.CopyFrom(data),
            MimeType = "video/mp4",
            Format = VideoFormat.Mp4,
            Width = 128,
            Height = 128,
            Fps = 8,
            Index = index,
            Seed = seed,
        },
    };

    private static GenerateResponse Final() => new()
    {
        RequestId = "req-1",
        Final = new GenerateFinal { FinishReason = FinishReason.Stop, Usage = new Usage(), VideoFrames = 4, VideoDurationSeconds = 0.5 },
    };

    private sealed class FlushCountingStream : MemoryStream
    {
        public int Flushes { get; private set; }

        public override void Flush()
        {
            Flushes++;
            base.Flush();
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flushes++;
            return Task.CompletedTask;
        }
    }

    private sealed class RecordingLifetime : IHttpRequestLifetimeFeature
    {
        public CancellationToken RequestAborted { get; set; }

        public bool Aborted { get; private set; }

        public void Abort() => Aborted = true;
    }
}
