namespace Omni.ArStage.Model;

/// <summary>
/// The simple rope scaling schemes of a <c>config.json</c> <c>rope_scaling</c> object: <c>linear</c> (position
/// interpolation: every frequency divided by <see cref="Factor"/>) and <c>llama3</c> (low frequencies divided by the
/// factor, high ones kept, the band between interpolated smoothly), as transformers computes them.
/// </summary>
public sealed record RopeScaling
{
    public const string Linear = "linear";
    public const string Llama3 = "llama3";

    public required string Type { get; init; }

    public required double Factor { get; init; }

    /// <summary>llama3 only.</summary>
    public double LowFreqFactor { get; init; } = 1.0;

    /// <summary>llama3 only.</summary>
    public double HighFreqFactor { get; init; } = 4.0;

    /// <summary>llama3 only: the context length the model was trained with before scaling.</summary>
    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    public void Validate()
    {
        if (Type is not (Linear or Llama3))
        {
            throw new NotSupportedException($"rope_scaling type '{Type}' is not supported (expected '{Linear}' or '{Llama3}').");
        }

        if (!(Factor >= 1))
        {
            throw new InvalidDataException($"rope_scaling factor must be >= 1, got {Factor}.");
        }

        if (Type == Llama3 && !(HighFreqFactor > LowFreqFactor && LowFreqFactor > 0 && OriginalMaxPositionEmbeddings > 0))
        {
            throw new InvalidDataException(
                "rope_scaling llama3 needs 0 < low_freq_factor < high_freq_factor and original_max_position_embeddings > 0.");
        }
    }
}
