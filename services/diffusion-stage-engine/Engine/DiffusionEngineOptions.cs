namespace Omni.DiffusionStage.Engine;

public sealed record DiffusionEngineOptions
{
    /// <summary>A directory with config.json and model.safetensors; null uses the built-in default model.</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>"auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "auto";

    /// <summary>
    /// Root under which the default model is generated (as diffusion-default-v1/); null uses $OMNI_CACHE_DIR,
    /// else ~/.cache/omni/models. Ignored when <see cref="ModelDirectory"/> is set.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Reported model name; null uses the model directory's name, or "omni-dit-default".</summary>
    public string? ModelName { get; init; }
}
