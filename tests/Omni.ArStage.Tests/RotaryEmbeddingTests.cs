using Omni.ArStage.Model;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>Without batch invariance the rotation folds rotate_half's sign into the sine: 3 kernels instead of 5, the same rotation.</summary>
public sealed class RotaryEmbeddingTests
{
    [Fact]
    public void Apply_SignFoldedAngles_RotateAsRotateHalf()
    {
        using var scope = NewDisposeScope();
        using var rotary = new RotaryEmbedding(32, 10000, null, CPU, maxPositions: 4096);
        var positions = tensor(new long[] { 0, 1, 7, 300, 4095 });
        var x = randn(5, 3, 32, generator: new TorchSharp.torch.Generator(3));

        var expected = RotaryEmbedding.Apply(x, rotary.Angles(positions, ScalarType.Float32, batchInvariant: true));
        var actual = RotaryEmbedding.Apply(x, rotary.Angles(positions, ScalarType.Float32, batchInvariant: false));

        Assert.True(allclose(actual, expected, rtol: 1e-5, atol: 1e-6), $"max |difference| {(actual - expected).abs().max().item<float>()}");
    }
}
