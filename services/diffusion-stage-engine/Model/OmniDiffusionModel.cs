using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>
/// Everything in a checkpoint: the denoiser ("transformer.*"), the latent decoder ("decoder.*") and the learned
/// unconditional embedding used for classifier-free guidance ("null_conditioning", [1, conditioning width]).
/// </summary>
public sealed class OmniDiffusionModel : nn.Module
{
    private readonly OmniDiT transformer;
    private readonly LatentDecoder decoder;
    private readonly Parameter null_conditioning;

    public OmniDiffusionModel(DiffusionModelConfig config) : base(nameof(OmniDiffusionModel))
    {
        Config = config;
        transformer = new OmniDiT(config);
        decoder = new LatentDecoder(config.LatentChannels, config.DecoderChannels, config.DecoderNormGroups);
        null_conditioning = nn.Parameter(zeros(1, config.ConditioningWidth));
        RegisterComponents();
    }

    public DiffusionModelConfig Config { get; }

    public OmniDiT Transformer => transformer;

    public LatentDecoder Decoder => decoder;

    /// <summary>[1, conditioning width].</summary>
    public Tensor NullConditioning => null_conditioning;
}
