using Omni.Common.Validation;
using Omni.Contracts.V1;
using Omni.Orchestrator.Graph;

namespace Omni.Orchestrator.Pipeline;

/// <summary>A client request after every field was checked and defaults applied.</summary>
public sealed record ValidatedRequest(
    string RequestId,
    string Prompt,
    bool WantsText,
    bool WantsImage,
    bool WantsAudio,
    bool WantsVideo,
    ResolvedTextParameters Text,
    ResolvedImageParameters? Image,
    ResolvedAudioParameters? Audio,
    ResolvedVideoParameters? Video)
{
    /// <summary>The client outputs asked for, by the names the pipeline definition uses.</summary>
    public IReadOnlyList<string> ClientOutputs =>
        [.. WantsText ? [Modalities.Text] : Array.Empty<string>(), .. WantsImage ? [Modalities.Image] : Array.Empty<string>(),
            .. WantsAudio ? [Modalities.Audio] : Array.Empty<string>(), .. WantsVideo ? [Modalities.Video] : Array.Empty<string>()];

    public static ValidatedRequest From(GenerateRequest request)
    {
        var prompt = RequestValidator.ValidatePrompt(request.Prompt);
        var requestId = RequestValidator.ValidateRequestId(request.RequestId);
        var (wantsText, wantsImage, wantsAudio, wantsVideo) = RequestValidator.ValidateOutputs(request.Outputs);
        var text = RequestValidator.ValidateText(request.Text);
        var image = wantsImage ? RequestValidator.ValidateImage(request.Image) : null;
        var audio = wantsAudio ? RequestValidator.ValidateAudio(request.Audio) : null;
        var video = wantsVideo ? RequestValidator.ValidateVideo(request.Video) : null;
        if (requestId.Length == 0)
        {
            requestId = Guid.NewGuid().ToString("N");
        }
        return new ValidatedRequest(requestId, prompt, wantsText, wantsImage, wantsAudio, wantsVideo, text, image, audio, video);
    }

    public TextParams ToTextParams() => Text.ToTextParams();

    public ImageParams? ToImageParams() => Image?.ToImageParams();

    public AudioParams? ToAudioParams() => Audio?.ToAudioParams();

    public VideoParams? ToVideoParams() => Video?.ToVideoParams();
}
