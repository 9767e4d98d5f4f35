using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// A clip from <c>POST /v1/videos/sync</c>: its bytes as the response body (<c>video/mp4</c>, or <c>application/x-rgb8</c>
/// frames one after another), each chunk written and flushed as the pipeline sends it, never buffered whole. The status
/// and headers leave with the first chunk: the request id, the clip's frames, fps and size (the validated request's)
/// and its seed (the first chunk's, drawn by the stage when the request set none). An error before then is the door's
/// OpenAI-style JSON; after it, only an aborted response (see <see cref="WriteErrorAsync"/>).
/// </summary>
public sealed class VideoResponse(HttpContext context, VideoParams? video) : OpenAiResponse(context)
{
    public const string FramesHeader = "X-Video-Frames";
    public const string FpsHeader = "X-Video-Fps";
    public const string WidthHeader = "X-Video-Width";
    public const string HeightHeader = "X-Video-Height";
    public const string SeedHeader = "X-Video-Seed";

    public override async Task WriteAsync(GenerateResponse message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (message.PayloadCase)
        {
            case GenerateResponse.PayloadOneofCase.Video:
                if (!Started)
                {
                    Start(message.Video);
                }
                await Context.Response.Body.WriteAsync(message.Video.Data.Memory, cancellationToken).ConfigureAwait(false);
                await Context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                break;
            case GenerateResponse.PayloadOneofCase.Final when Started:
                // The body ends with the clip's last chunk: raw bytes have no place for the timing breakdown.
                break;
            case GenerateResponse.PayloadOneofCase.Final:
                throw new InvalidOperationException("The pipeline finished without sending any video.");
            default:
                throw new InvalidOperationException($"A video response got a {message.PayloadCase} payload.");
        }
    }

    /// <summary>
    /// Before the first byte, the door's error JSON with its status. After it the status line and part of the clip are
    /// gone and no error can follow raw bytes: the response is aborted (HTTP/1.1: the chunked body never gets its last
    /// chunk; HTTP/2: the stream is reset), so that the client sees a failed download rather than a short clip.
    /// </summary>
    public override Task WriteErrorAsync(OpenAiRequestException error)
    {
        if (!Started)
        {
            return base.WriteErrorAsync(error);
        }
        Context.Abort();
        return Task.CompletedTask;
    }

    private void Start(VideoChunk first)
    {
        Started = true;
        // The handler validated this same request before the pipeline ran: this resolves its defaults and cannot throw.
        var clip = RequestValidator.ValidateVideo(video);
        var response = Context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = first.MimeType.Length > 0 ? first.MimeType : MimeType(clip.Format);
        response.Headers.CacheControl = "no-store";
        response.Headers[FramesHeader] = clip.Frames.ToString(CultureInfo.InvariantCulture);
        response.Headers[FpsHeader] = clip.Fps.ToString(CultureInfo.InvariantCulture);
        response.Headers[WidthHeader] = clip.Width.ToString(CultureInfo.InvariantCulture);
        response.Headers[HeightHeader] = clip.Height.ToString(CultureInfo.InvariantCulture);
        response.Headers[SeedHeader] = first.Seed.ToString(CultureInfo.InvariantCulture);
        Context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    public static string MimeType(VideoFormat format) => format == VideoFormat.Frames ? "application/x-rgb8" : "video/mp4";
}
