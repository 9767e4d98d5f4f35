using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.Pipeline;

/// <summary>A client request after every field was checked and defaults applied.</summary>
public sealed record ValidatedRequest(
    string RequestId,
    string Prompt,
    bool WantsText,
    bool WantsImage,
    ResolvedTextParameters Text,
    ResolvedImageParameters? Image)
{
    /// <summary>Name of the tensor the AR stage hands the diffusion stage.</summary>
    public const string ConditioningTensor = "hidden_states";

    public static ValidatedRequest From(GenerateRequest request)
    {
        var prompt = RequestValidator.ValidatePrompt(request.Prompt);
        var requestId = RequestValidator.ValidateRequestId(request.RequestId);
        var (wantsText, wantsImage) = RequestValidator.ValidateOutputs(request.Outputs);
        var text = RequestValidator.ValidateText(request.Text);
        var image = wantsImage ? RequestValidator.ValidateImage(request.Image) : null;
        if (requestId.Length == 0)
        {
            requestId = Guid.NewGuid().ToString("N");
        }
        return new ValidatedRequest(requestId, prompt, wantsText, wantsImage, text, image);
    }

    public TextParams ToTextParams()
    {
        var text = new TextParams
        {
            MaxTokens = (uint)Text.MaxTokens,
            Temperature = Text.Temperature,
            TopP = Text.TopP,
            TopK = Text.TopK,
        };
        if (Text.Seed is { } seed)
        {
            text.Seed = seed;
        }
        text.Stop.AddRange(Text.Stop);
        return text;
    }

    public ImageParams? ToImageParams() => Image is null
        ? null
        : new ImageParams
        {
            Width = (uint)Image.Width,
            Height = (uint)Image.Height,
            NumInferenceSteps = (uint)Image.Steps,
            GuidanceScale = Image.GuidanceScale,
            Seed = Image.Seed,
        };
}
