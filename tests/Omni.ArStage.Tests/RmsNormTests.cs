using Omni.ArStage.Model;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>Without batch invariance the norm takes 4 kernels instead of transformers' 6: the same function.</summary>
public sealed class RmsNormTests
{
    [Fact]
    public void Forward_WithoutBatchInvariance_MatchesTransformersForm()
    {
        using var scope = NewDisposeScope();
        using var norm = new RmsNorm(64, 1e-6);
        using (no_grad())
        {
            norm.parameters().First().copy_(rand(64, generator: new TorchSharp.torch.Generator(1)) + 0.5);
        }
        var input = cat([randn(5, 64, generator: new TorchSharp.torch.Generator(2)) * 3, zeros(1, 64), full(1, 64, 1e-4)], 0);

        var expected = norm.call(input, true);
        var actual = norm.call(input, false);

        Assert.True(allclose(actual, expected, rtol: 1e-5, atol: 1e-7), $"max |difference| {(actual - expected).abs().max().item<float>()}");
    }
}
