using Omni.DiffusionStage.Model;

namespace Omni.DiffusionStage.Engine;

/// <summary>Checks a request against a model; throws <see cref="ArgumentException"/> with a message fit for a client.</summary>
internal static class DiffusionRequestValidator
{
    public const int MinSize = 64;
    public const int MaxSize = 1024;
    public const int MaxConditioningTokens = 8192;

    public static void Validate(DiffusionRequest request, DiffusionModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Conditioning is null)
        {
            throw new ArgumentException("The conditioning is missing.", nameof(request));
        }

        if (request.ConditioningWidth != config.ConditioningWidth)
        {
            throw new ArgumentException(
                $"Conditioning width {request.ConditioningWidth} does not match the diffusion model's conditioning width {config.ConditioningWidth}.",
                nameof(request));
        }

        if (request.ConditioningTokens is < 1 or > MaxConditioningTokens)
        {
            throw new ArgumentException(
                $"Conditioning token count {request.ConditioningTokens} is outside 1..{MaxConditioningTokens}.", nameof(request));
        }

        var expectedLength = (long)request.ConditioningTokens * request.ConditioningWidth;
        if (request.Conditioning.LongLength != expectedLength)
        {
            throw new ArgumentException(
                $"Conditioning has {request.Conditioning.LongLength} values, expected {request.ConditioningTokens} tokens x {request.ConditioningWidth} = {expectedLength}.",
                nameof(request));
        }

        ValidateSize(request.Width, "Width", config.SizeMultiple);
        ValidateSize(request.Height, "Height", config.SizeMultiple);

        if (request.Steps < 1 || request.Steps > config.NumTrainTimesteps)
        {
            throw new ArgumentException($"Steps {request.Steps} is outside 1..{config.NumTrainTimesteps}.", nameof(request));
        }

        if (!float.IsFinite(request.GuidanceScale) || request.GuidanceScale < 0)
        {
            throw new ArgumentException($"Guidance scale {request.GuidanceScale} must be a finite number >= 0.", nameof(request));
        }

        if (!Enum.IsDefined(request.Format))
        {
            throw new ArgumentException($"Unknown image format {request.Format}.", nameof(request));
        }
    }

    private static void ValidateSize(int value, string name, int multiple)
    {
        if (value < MinSize || value > MaxSize || value % multiple != 0)
        {
            throw new ArgumentException(
                $"{name} {value} must be a multiple of {multiple} in {MinSize}..{MaxSize}.", "request");
        }
    }
}
