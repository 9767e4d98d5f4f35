using Omni.ArStage.Model;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>A projection added to its residual in one operator call (addmm) where the layer has no bias; the plain sum where it has one.</summary>
public sealed class ResidualLinearTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_WithOrWithoutBias_EqualsResidualPlusTheLayer(bool hasBias)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var layer = nn.Linear(24, 16, hasBias: hasBias);
        using var residualLinear = new ResidualLinear(layer);
        var (residual, input) = (randn(5, 16), randn(5, 24));

        var actual = residualLinear.Forward(residual, input);

        Assert.True((actual - (residual + layer.call(input))).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Forward_NoBias_OneOperatorCall()
    {
        using var scope = NewDisposeScope();
        using var layer = nn.Linear(24, 16, hasBias: false);
        using var residualLinear = new ResidualLinear(layer);
        var (residual, input) = (zeros(5, 16), ones(5, 24));
        var before = Created();

        residualLinear.Forward(residual, input);

        Assert.Equal(1, Created() - before);
    }

    private static long Created() =>
        TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.CreatedInScopeCount + TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.CreatedOutsideScopeCount;
}
