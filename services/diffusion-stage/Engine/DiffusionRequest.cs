namespace Omni.DiffusionStage.Engine;

/// <summary>One image to generate.</summary>
/// <param name="Conditioning">Conditioning hidden states, row-major [tokens, width].</param>
/// <param name="ConditioningTokens">Number of conditioning tokens (rows).</param>
/// <param name="ConditioningWidth">Width of each token; must equal the model's conditioning width.</param>
public sealed record DiffusionRequest(float[] Conditioning, int ConditioningTokens, int ConditioningWidth)
{
    /// <summary>A multiple of 16 (vae scale factor * patch size) in 64..1024.</summary>
    public int Width { get; init; } = 256;

    /// <summary>A multiple of 16 (vae scale factor * patch size) in 64..1024.</summary>
    public int Height { get; init; } = 256;

    public int Steps { get; init; } = 20;

    /// <summary>Classifier-free guidance scale; values above 1 enable guidance (as diffusers).</summary>
    public float GuidanceScale { get; init; } = 1f;

    /// <summary>Seeds the initial latent noise: the same seed and inputs give the same image.</summary>
    public ulong Seed { get; init; }

    public ImageFormat Format { get; init; } = ImageFormat.Png;
}
