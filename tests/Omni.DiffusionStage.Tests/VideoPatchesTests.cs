using Omni.DiffusionStage.Model;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Tests;

/// <summary>The video DiT's ends (issue 17): spatio-temporal patches, their embedding and positions.</summary>
public sealed class VideoPatchesTests
{
    [Fact]
    public void Unpatchify_OfPatchify_TheSameLatents()
    {
        using var scope = NewDisposeScope();
        var latents = randn([2, 4, 6, 8, 12], generator: new Generator(3));

        var patches = VideoPatches.Patchify(latents, patchSizeT: 2, patchSize: 2);
        var back = VideoPatches.Unpatchify(patches, channels: 4, patchSizeT: 2, patchSize: 2, gridT: 3, gridHeight: 4, gridWidth: 6);

        Assert.Equal([2L, 3 * 4 * 6, 4 * 2 * 2 * 2], patches.shape);
        Assert.True(back.eq(latents).all().item<bool>());
    }

    [Fact]
    public void Embedding_AsMatrixProduct_EqualsTheConvolution()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var embedding = new SpatioTemporalPatchEmbedding(latentChannels: 4, hiddenSize: 32, patchSize: 2, patchSizeT: 2);
        var latents = randn([2, 4, 4, 8, 8], generator: new Generator(7));
        var weight = embedding.named_parameters().Single(p => p.name == "proj.weight").parameter;
        var bias = embedding.named_parameters().Single(p => p.name == "proj.bias").parameter;

        var tokens = embedding.forward(latents);
        // [b, hidden, gt, gh, gw] -> [b, gt*gh*gw, hidden]: time, then row, then column.
        var reference = nn.functional.conv3d(latents, weight, bias, strides: [2, 2, 2]).flatten(2).transpose(1, 2);

        Assert.Equal([2L, 2 * 4 * 4, 32], tokens.shape);
        Assert.True(tokens.allclose(reference, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Create3D_SamePlaceOtherTime_DiffersByTheTemporalEmbeddingAlone()
    {
        using var scope = NewDisposeScope();

        var positions = SinCosPositionalEmbedding.Create3D(dim: 16, gridT: 3, gridHeight: 2, gridWidth: 4, CPU).reshape(3, 8, 16);
        var spatial = SinCosPositionalEmbedding.Create(16, 2, 4, CPU);

        Assert.Equal([3L, 8, 16], positions.shape);
        // Every place moves by the same vector from one time to the next; time 0 adds sin 0 = 0 and cos 0 = 1.
        var step = positions[1].sub(positions[0]);
        Assert.True(step.sub(step[0].unsqueeze(0)).abs().max().item<float>() < 1e-6f);
        Assert.True(positions[0].sub(spatial).allclose(cat([zeros(8, 8), ones(8, 8)], 1), atol: 1e-6));
        Assert.False(positions[2].allclose(positions[1]));
    }
}
