using Omni.DiffusionStage.Model;

namespace Omni.DiffusionStage.Engine;

/// <summary>Checks a request against a model; throws <see cref="ArgumentException"/> with a message fit for a client.</summary>
internal static class DiffusionRequestValidator
{
    public const int MinSize = 64;
    public const int MaxSize = 1024;
    public const int MaxConditioningTokens = 8192;
    public const double MaxShift = 20;

    public static void Validate(DiffusionRequest request, DiffusionModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateConditioning("Conditioning", request.Conditioning, request.ConditioningTokens, request.ConditioningWidth, config);
        if (request.NegativeConditioning is not null)
        {
            ValidateConditioning("Negative conditioning", request.NegativeConditioning, request.NegativeConditioningTokens,
                request.ConditioningWidth, config);
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

        if (request.NumImages is < 1 or > DiffusionRequest.MaxImages)
        {
            throw new ArgumentException($"Image count {request.NumImages} is outside 1..{DiffusionRequest.MaxImages}.", nameof(request));
        }

        ValidateFrames(request, config);

        if (!Enum.IsDefined(request.Sampler))
        {
            throw new ArgumentException($"Unknown sampler {request.Sampler}.", nameof(request));
        }

        if (request.Shift is { } shift && (!double.IsFinite(shift) || shift <= 0 || shift > MaxShift))
        {
            throw new ArgumentException($"Shift {shift} must be in (0, {MaxShift}].", nameof(request));
        }

        if (!Enum.IsDefined(request.TimestepSpacing))
        {
            throw new ArgumentException($"Unknown timestep spacing {request.TimestepSpacing}.", nameof(request));
        }
    }

    private static void ValidateFrames(DiffusionRequest request, DiffusionModelConfig config)
    {
        if (!config.IsVideo)
        {
            if (request.Frames != 0)
            {
                throw new ArgumentException($"Frames {request.Frames}: this is an image model ('{config.ModelType}'), it makes no video.", nameof(request));
            }
            return;
        }

        var step = config.PatchSizeT;
        if (request.Frames < step || request.Frames > DiffusionRequest.MaxFrames || request.Frames % step != 0)
        {
            throw new ArgumentException(
                $"Frames {request.Frames} must be a multiple of the model's patch_size_t {step} in {step}..{DiffusionRequest.MaxFrames}.", nameof(request));
        }

        if (request.NumImages != 1)
        {
            throw new ArgumentException($"Image count {request.NumImages}: a video request makes one clip.", nameof(request));
        }
    }

    private static void ValidateConditioning(string what, float[]? values, int tokens, int width, DiffusionModelConfig config)
    {
        if (values is null)
        {
            throw new ArgumentException($"{what} is missing.", "request");
        }

        if (width != config.ConditioningWidth)
        {
            throw new ArgumentException(
                $"{what} width {width} does not match the diffusion model's conditioning width {config.ConditioningWidth}.", "request");
        }

        if (tokens is < 1 or > MaxConditioningTokens)
        {
            throw new ArgumentException($"{what} token count {tokens} is outside 1..{MaxConditioningTokens}.", "request");
        }

        var expectedLength = (long)tokens * width;
        if (values.LongLength != expectedLength)
        {
            throw new ArgumentException(
                $"{what} has {values.LongLength} values, expected {tokens} tokens x {width} = {expectedLength}.", "request");
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
