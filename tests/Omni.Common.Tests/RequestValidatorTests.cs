using Grpc.Core;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Common.Tests;

public sealed class RequestValidatorTests
{
    [Fact]
    public void ValidateText_Unset_AppliesDefaults()
    {
        var text = RequestValidator.ValidateText(null);

        Assert.Equal(new ResolvedTextParameters(64, 1f, 1f, 0, null, []), text with { Stop = [] });
    }

    [Fact]
    public void ValidateText_TemperatureTooHigh_NamesFieldAndRange()
    {
        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidateText(new TextParams { Temperature = 3 }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("text.temperature must be in [0, 2], got 3.", error.Status.Detail);
    }

    [Fact]
    public void ValidateText_NaNTopP_Rejected()
    {
        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidateText(new TextParams { TopP = float.NaN }));

        Assert.StartsWith("text.top_p", error.Status.Detail);
    }

    [Fact]
    public void ValidateText_EmptyStopString_NamesIndex()
    {
        var text = new TextParams();
        text.Stop.Add("ok");
        text.Stop.Add("");

        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidateText(text));

        Assert.StartsWith("text.stop[1]", error.Status.Detail);
    }

    [Theory]
    [InlineData(0u, 256)]
    [InlineData(64u, 64)]
    [InlineData(1024u, 1024)]
    public void ValidateImage_Width_AcceptsBoundsAndDefault(uint width, int expected)
    {
        Assert.Equal(expected, RequestValidator.ValidateImage(new ImageParams { Width = width }).Width);
    }

    [Theory]
    [InlineData(48u)]
    [InlineData(1040u)]
    [InlineData(72u)]
    public void ValidateImage_BadWidth_InvalidArgument(uint width)
    {
        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidateImage(new ImageParams { Width = width }));

        Assert.Equal($"image.width must be a multiple of 16 in [64, 1024], got {width}.", error.Status.Detail);
    }

    [Fact]
    public void ValidateImage_SeedGiven_Kept()
    {
        Assert.Equal(123ul, RequestValidator.ValidateImage(new ImageParams { Seed = 123 }).Seed);
    }

    [Fact]
    public void ValidateOutputs_Empty_MeansText()
    {
        Assert.Equal((true, false, false, false), RequestValidator.ValidateOutputs([]));
    }

    [Fact]
    public void ValidateOutputs_Duplicate_Rejected()
    {
        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidateOutputs([Modality.Image, Modality.Image]));

        Assert.StartsWith("outputs", error.Status.Detail);
    }

    [Fact]
    public void ValidatePrompt_TooLong_NamesLimit()
    {
        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidatePrompt(new string('x', RequestLimits.MaxPromptCharacters + 1)));

        Assert.Contains("at most 8192 characters", error.Status.Detail);
    }
}
