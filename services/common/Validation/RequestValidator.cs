using System.Globalization;
using Grpc.Core;
using Omni.Contracts.V1;
using static Omni.Common.Validation.RequestLimits;

namespace Omni.Common.Validation;

/// <summary>
/// Checks every field of a request against <see cref="RequestLimits"/>. A bad value throws an
/// <see cref="RpcException"/> with INVALID_ARGUMENT that names the field and the allowed range.
/// </summary>
public static class RequestValidator
{
    public static string ValidatePrompt(string prompt)
    {
        if (string.IsNullOrWhiteSpace(prompt))
        {
            throw Invalid("prompt", "must not be empty");
        }
        if (prompt.Length > MaxPromptCharacters)
        {
            throw Invalid("prompt", $"must be at most {MaxPromptCharacters} characters, got {prompt.Length}");
        }
        return prompt;
    }

    public static string ValidateRequestId(string requestId)
    {
        if (requestId.Length > MaxRequestIdLength)
        {
            throw Invalid("request_id", $"must be at most {MaxRequestIdLength} characters, got {requestId.Length}");
        }
        if (requestId.Any(c => c < 0x21 || c > 0x7e))
        {
            throw Invalid("request_id", "must be printable ASCII without spaces");
        }
        return requestId;
    }

    /// <summary>Returns (wantsText, wantsImage); an empty list means text only.</summary>
    public static (bool Text, bool Image) ValidateOutputs(IReadOnlyCollection<Modality> outputs)
    {
        if (outputs.Count == 0)
        {
            return (true, false);
        }
        bool text = false, image = false;
        foreach (var modality in outputs)
        {
            switch (modality)
            {
                case Modality.Text when !text:
                    text = true;
                    break;
                case Modality.Image when !image:
                    image = true;
                    break;
                case Modality.Text or Modality.Image:
                    throw Invalid("outputs", $"lists {modality} twice");
                default:
                    throw Invalid("outputs", $"must contain only MODALITY_TEXT and MODALITY_IMAGE, got {modality}");
            }
        }
        return (text, image);
    }

    public static ResolvedTextParameters ValidateText(TextParams? text, string field = "text")
    {
        text ??= new TextParams();
        var maxTokens = text.MaxTokens == 0 ? DefaultMaxTokens : (int)Math.Min(text.MaxTokens, int.MaxValue);
        if (maxTokens > MaxMaxTokens)
        {
            throw Invalid($"{field}.max_tokens", $"must be in [1, {MaxMaxTokens}], got {text.MaxTokens}");
        }
        var temperature = text.HasTemperature ? text.Temperature : 1f;
        if (!float.IsFinite(temperature) || temperature < 0 || temperature > MaxTemperature)
        {
            throw Invalid($"{field}.temperature", $"must be in [0, {Format(MaxTemperature)}], got {Format(temperature)}");
        }
        var topP = text.HasTopP ? text.TopP : 1f;
        if (!float.IsFinite(topP) || topP <= 0 || topP > 1)
        {
            throw Invalid($"{field}.top_p", $"must be in (0, 1], got {Format(topP)}");
        }
        var topK = text.HasTopK ? text.TopK : 0;
        if (topK < 0 || topK > MaxTopK)
        {
            throw Invalid($"{field}.top_k", $"must be in [0, {MaxTopK}] (0 disables it), got {topK}");
        }
        if (text.Stop.Count > MaxStopStrings)
        {
            throw Invalid($"{field}.stop", $"must have at most {MaxStopStrings} entries, got {text.Stop.Count}");
        }
        for (var i = 0; i < text.Stop.Count; i++)
        {
            var length = text.Stop[i].Length;
            if (length < 1 || length > MaxStopStringLength)
            {
                throw Invalid($"{field}.stop[{i}]", $"must be 1..{MaxStopStringLength} characters, got {length}");
            }
        }
        return new ResolvedTextParameters(maxTokens, temperature, topP, topK, text.HasSeed ? text.Seed : null, [.. text.Stop]);
    }

    public static ResolvedImageParameters ValidateImage(ImageParams? image, string field = "image")
    {
        image ??= new ImageParams();
        var width = ValidateSize(image.Width, $"{field}.width");
        var height = ValidateSize(image.Height, $"{field}.height");
        var steps = image.NumInferenceSteps == 0 ? DefaultInferenceSteps : (int)Math.Min(image.NumInferenceSteps, int.MaxValue);
        if (steps > MaxInferenceSteps)
        {
            throw Invalid($"{field}.num_inference_steps", $"must be in [1, {MaxInferenceSteps}], got {image.NumInferenceSteps}");
        }
        var guidance = image.HasGuidanceScale ? image.GuidanceScale : 1f;
        if (!float.IsFinite(guidance) || guidance < MinGuidanceScale || guidance > MaxGuidanceScale)
        {
            throw Invalid($"{field}.guidance_scale",
                $"must be in [{Format(MinGuidanceScale)}, {Format(MaxGuidanceScale)}], got {Format(guidance)}");
        }
        var seed = image.HasSeed ? image.Seed : (ulong)Random.Shared.NextInt64(0, long.MaxValue);
        return new ResolvedImageParameters(width, height, steps, guidance, seed);
    }

    public static RpcException Invalid(string field, string problem) =>
        new(new Status(StatusCode.InvalidArgument, $"{field} {problem}."));

    private static int ValidateSize(uint value, string field)
    {
        if (value == 0)
        {
            return DefaultImageSize;
        }
        if (value < MinImageSize || value > MaxImageSize || value % ImageSizeMultiple != 0)
        {
            throw Invalid(field, $"must be a multiple of {ImageSizeMultiple} in [{MinImageSize}, {MaxImageSize}], got {value}");
        }
        return (int)value;
    }

    private static string Format(float value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
