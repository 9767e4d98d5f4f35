using Omni.DiffusionStage.Scheduling;

namespace Omni.DiffusionStage.Engine;

/// <summary>
/// One request: <see cref="NumImages"/> images of one size from one conditioning, or, for a video model, one clip of
/// <see cref="Frames"/> frames.
/// </summary>
/// <param name="Conditioning">Conditioning hidden states, row-major [tokens, width].</param>
/// <param name="ConditioningTokens">Number of conditioning tokens (rows).</param>
/// <param name="ConditioningWidth">Width of each token; must equal the model's conditioning width.</param>
public sealed record DiffusionRequest(float[] Conditioning, int ConditioningTokens, int ConditioningWidth)
{
    public const int MaxImages = 4;

    public const int MaxFrames = 64;

    /// <summary>A multiple of 16 (vae scale factor * patch size) in 64..1024.</summary>
    public int Width { get; init; } = 256;

    /// <summary>A multiple of 16 (vae scale factor * patch size) in 64..1024.</summary>
    public int Height { get; init; } = 256;

    public int Steps { get; init; } = 20;

    /// <summary>Classifier-free guidance scale; values above 1 enable guidance (as diffusers).</summary>
    public float GuidanceScale { get; init; } = 1f;

    /// <summary>Seeds the initial latent noise of image 0; image i uses Seed + i (wrapping).</summary>
    public ulong Seed { get; init; }

    public ImageFormat Format { get; init; } = ImageFormat.Png;

    /// <summary>1..<see cref="MaxImages"/>.</summary>
    public int NumImages { get; init; } = 1;

    /// <summary>
    /// A video model's clip length, a multiple of its patch_size_t up to <see cref="MaxFrames"/>; 0 for an image model.
    /// The frames are returned as RGB8, each as it is decoded.
    /// </summary>
    public int Frames { get; init; }

    public bool IsVideo => Frames > 0;

    public SamplerKind Sampler { get; init; } = SamplerKind.FlowMatchEuler;

    /// <summary>Flow-matching timestep shift; null uses the checkpoint's scheduler_shift.</summary>
    public double? Shift { get; init; }

    /// <summary>DDIM timestep spacing.</summary>
    public TimestepSpacing TimestepSpacing { get; init; } = TimestepSpacing.Leading;

    /// <summary>
    /// Negative-prompt hidden states, row-major [tokens, width]: the unconditional branch of guidance. Null uses the
    /// model's learned null embedding. Only used when <see cref="GuidanceScale"/> is above 1.
    /// </summary>
    public float[]? NegativeConditioning { get; init; }

    public int NegativeConditioningTokens { get; init; }

    public bool Guided => GuidanceScale > 1f;

    /// <summary>The seed of image <paramref name="index"/>.</summary>
    public ulong ImageSeed(int index) => unchecked(Seed + (ulong)index);
}
