using Omni.DiffusionStage.Model;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Tests;

public sealed class LatentDecoderTests
{
    [Theory]
    [InlineData(8, 6)]
    [InlineData(4, 4)]
    [InlineData(2, 10)]
    public void Forward_LatentGrid_OutputsRgbEightTimesLarger(int latentWidth, int latentHeight)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = DefaultDiffusionModel.Config;
        using var decoder = new LatentDecoder(config.LatentChannels, config.DecoderChannels, config.DecoderNormGroups);

        var image = decoder.forward(randn(1, config.LatentChannels, latentHeight, latentWidth));

        Assert.Equal([1L, 3, latentHeight * 8, latentWidth * 8], image.shape);
    }
}
