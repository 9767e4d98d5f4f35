using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>
/// The denoiser: a DiT over the latent grid with cross-attention to the conditioning, predicting the
/// flow-matching velocity (noise - data) for latents at a timestep sigma * num_train_timesteps. A video model
/// (<see cref="DiffusionModelConfig.IsVideo"/>) takes latents [batch, C, frames, h, w] and cuts them into
/// spatio-temporal patches with 3D sin-cos positions; the blocks are the same.
/// </summary>
/// <remarks>
/// Besides the plain <see cref="forward"/>, the denoiser exposes its three inputs' preparation separately, so an
/// engine can compute what depends on one request only (its conditioning's cross-attention keys and values) or one
/// timestep only (the adaLN modulation) once, and batch the rest (<see cref="Denoise"/>).
/// </remarks>
public sealed class OmniDiT : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> x_embedder;
    private readonly TimestepEmbedder t_embedder;
    private readonly ConditioningProjection cond_embedder;
    private readonly ModuleList<DiTBlock> blocks;
    private readonly FinalLayer final_layer;
    private readonly int hiddenSize;
    private readonly int patchSize;
    private readonly int patchSizeT;
    private readonly int latentChannels;
    private readonly bool video;

    public OmniDiT(DiffusionModelConfig config) : base(nameof(OmniDiT))
    {
        hiddenSize = config.HiddenSize;
        patchSize = config.PatchSize;
        patchSizeT = config.PatchSizeT;
        latentChannels = config.LatentChannels;
        video = config.IsVideo;
        x_embedder = video
            ? new SpatioTemporalPatchEmbedding(config.LatentChannels, config.HiddenSize, config.PatchSize, config.PatchSizeT)
            : new PatchEmbedding(config.LatentChannels, config.HiddenSize, config.PatchSize);
        t_embedder = new TimestepEmbedder(config.FrequencyEmbeddingSize, config.HiddenSize);
        cond_embedder = new ConditioningProjection(config.ConditioningWidth, config.HiddenSize);
        blocks = nn.ModuleList(Enumerable.Range(0, config.Depth)
            .Select(_ => new DiTBlock(config.HiddenSize, config.NumHeads, config.MlpHiddenSize))
            .ToArray());
        final_layer = new FinalLayer(config.HiddenSize, config.PatchValues);
        RegisterComponents();
    }

    /// <summary>Projects conditioning hidden states once per request; the result is reused at every step.</summary>
    /// <param name="conditioning">[batch, tokens, conditioning width].</param>
    /// <returns>[batch, tokens, hidden].</returns>
    public Tensor ProjectConditioning(Tensor conditioning) => cond_embedder.forward(conditioning);

    /// <summary>Each block's cross-attention keys and values for a projected conditioning.</summary>
    /// <param name="context">[rows, tokens, hidden] from <see cref="ProjectConditioning"/>.</param>
    /// <returns>One [rows, tokens, 2 * hidden] tensor per block.</returns>
    public Tensor[] CrossAttentionKeyValues(Tensor context)
    {
        using var scope = NewDisposeScope();
        var keyValues = blocks.Select(block => block.CrossAttentionKeyValues(context)).ToArray();
        scope.MoveToOuter(keyValues);
        return keyValues;
    }

    /// <summary>The timestep embedding and every adaLN modulation derived from it.</summary>
    /// <param name="timesteps">[rows] in [0, num_train_timesteps].</param>
    public TimestepModulation Modulate(Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var embedding = t_embedder.forward(timesteps);
        var blockModulations = blocks.Select(block => block.Modulation(embedding)).ToArray();
        var final = final_layer.Modulation(embedding);
        scope.MoveToOuter(blockModulations);
        scope.MoveToOuter(final);
        return new TimestepModulation(blockModulations, final);
    }

    /// <param name="latents">
    /// [batch, latent channels, h, w], or [batch, latent channels, frames, h, w] for a video model; h and w multiples of
    /// the patch size, frames of patch_size_t.
    /// </param>
    /// <param name="modulation">[batch] rows from <see cref="Modulate"/>.</param>
    /// <param name="keyValues">
    /// Consecutive row groups covering the batch, each one tensor per block from <see cref="CrossAttentionKeyValues"/>.
    /// </param>
    /// <returns>The velocity, shaped like <paramref name="latents"/>.</returns>
    public Tensor Denoise(Tensor latents, TimestepModulation modulation, IReadOnlyList<IReadOnlyList<Tensor>> keyValues)
    {
        using var scope = NewDisposeScope();
        var gridT = video ? latents.shape[2] / patchSizeT : 1;
        var gridHeight = latents.shape[^2] / patchSize;
        var gridWidth = latents.shape[^1] / patchSize;

        var positions = video
            ? SinCosPositionalEmbedding.Create3D(hiddenSize, gridT, gridHeight, gridWidth, latents.device)
            : SinCosPositionalEmbedding.Create(hiddenSize, gridHeight, gridWidth, latents.device);
        var x = x_embedder.forward(latents).add(positions.unsqueeze(0));
        for (var i = 0; i < blocks.Count; i++)
        {
            var block = i;
            x = blocks[i].forward(x, modulation.Blocks[i], keyValues.Select(group => group[block]).ToList());
        }

        var patches = final_layer.forward(x, modulation.Final);
        var velocity = video
            ? VideoPatches.Unpatchify(patches, latentChannels, patchSizeT, patchSize, gridT, gridHeight, gridWidth)
            : Unpatchify(patches, gridHeight, gridWidth);
        return scope.MoveToOuter(velocity);
    }

    /// <param name="latents">[batch, latent channels, h, w]; h and w multiples of the patch size.</param>
    /// <param name="timesteps">[batch] in [0, num_train_timesteps].</param>
    /// <param name="context">[batch, tokens, hidden] from <see cref="ProjectConditioning"/>.</param>
    /// <returns>The velocity, shaped like <paramref name="latents"/>.</returns>
    public override Tensor forward(Tensor latents, Tensor timesteps, Tensor context)
    {
        using var scope = NewDisposeScope();
        var velocity = Denoise(latents, Modulate(timesteps), [CrossAttentionKeyValues(context)]);
        return scope.MoveToOuter(velocity);
    }

    /// <summary>[batch, gh*gw, p*p*C] to [batch, C, gh*p, gw*p].</summary>
    private Tensor Unpatchify(Tensor patches, long gridHeight, long gridWidth)
    {
        using var scope = NewDisposeScope();
        var batch = patches.shape[0];
        var grid = patches.view(batch, gridHeight, gridWidth, patchSize, patchSize, latentChannels);
        var image = grid.permute(0, 5, 1, 3, 2, 4)
            .reshape(batch, latentChannels, gridHeight * patchSize, gridWidth * patchSize);
        return scope.MoveToOuter(image);
    }
}
