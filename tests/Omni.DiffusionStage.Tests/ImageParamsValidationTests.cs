using Grpc.Core;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.DiffusionStage.Tests;

/// <summary>The image parameters the diffusion stage serves, as every service validates them (RequestValidator.ValidateImage).</summary>
public sealed class ImageParamsValidationTests
{
    [Fact]
    public void ValidateImage_Unset_DocumentedDefaults()
    {
        var image = RequestValidator.ValidateImage(new ImageParams { Seed = 1 });

        Assert.Equal((256, 256, 20, 1f), (image.Width, image.Height, image.Steps, image.GuidanceScale));
        Assert.Equal("", image.NegativePrompt);
        Assert.Equal(Scheduler.FlowMatchEuler, image.Scheduler);
        Assert.Null(image.Shift);
        Assert.Equal(TimestepSpacing.Leading, image.TimestepSpacing);
        Assert.Equal(1, image.NumImages);
        Assert.Equal(ImageFormat.Png, image.OutputFormat);
    }

    [Fact]
    public void ValidateImage_AllOptionsSet_Kept()
    {
        var image = RequestValidator.ValidateImage(new ImageParams
        {
            NegativePrompt = "blurry",
            Scheduler = Scheduler.Ddim,
            Shift = 20f,
            TimestepSpacing = TimestepSpacing.Trailing,
            NumImages = 4,
            OutputFormat = ImageFormat.Rgb8,
        });

        Assert.Equal("blurry", image.NegativePrompt);
        Assert.Equal(Scheduler.Ddim, image.Scheduler);
        Assert.Equal(20f, image.Shift);
        Assert.Equal(TimestepSpacing.Trailing, image.TimestepSpacing);
        Assert.Equal(4, image.NumImages);
        Assert.Equal(ImageFormat.Rgb8, image.OutputFormat);
    }

    [Fact]
    public void ToImageParams_Resolved_RoundTripsEveryField()
    {
        var resolved = RequestValidator.ValidateImage(new ImageParams
        {
            Width = 128, Height = 64, NumInferenceSteps = 7, GuidanceScale = 3f, Seed = 9, NegativePrompt = "dark",
            Scheduler = Scheduler.Ddim, Shift = 2f, TimestepSpacing = TimestepSpacing.Trailing, NumImages = 2,
            OutputFormat = ImageFormat.Rgb8,
        });

        var again = RequestValidator.ValidateImage(resolved.ToImageParams());

        Assert.Equal(resolved, again);
    }

    public static TheoryData<ImageParams, string> InvalidImages => new()
    {
        { new ImageParams { NegativePrompt = new string('x', 8193) }, "image.negative_prompt" },
        { new ImageParams { Scheduler = (Scheduler)7 }, "image.scheduler" },
        { new ImageParams { Shift = 0f }, "image.shift" },
        { new ImageParams { Shift = 20.5f }, "image.shift" },
        { new ImageParams { Shift = float.NaN }, "image.shift" },
        { new ImageParams { TimestepSpacing = (TimestepSpacing)9 }, "image.timestep_spacing" },
        { new ImageParams { NumImages = 5 }, "image.num_images" },
        { new ImageParams { OutputFormat = (ImageFormat)3 }, "image.output_format" },
    };

    [Theory]
    [MemberData(nameof(InvalidImages))]
    public void ValidateImage_OutOfBounds_InvalidArgumentNamingTheField(ImageParams image, string field)
    {
        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidateImage(image));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field + " ", error.Status.Detail, StringComparison.Ordinal);
    }
}
