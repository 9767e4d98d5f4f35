namespace Omni.DiffusionStage.Engine;

public sealed record DiffusionEngineOptions
{
    /// <summary>A directory with config.json and model.safetensors; null uses the built-in default model.</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>The built-in model loaded when <see cref="ModelDirectory"/> is null: the image DiT or the video DiT.</summary>
    public BuiltInDiffusionModel BuiltInModel { get; init; } = BuiltInDiffusionModel.Image;

    /// <summary>"auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "auto";

    /// <summary>
    /// Root under which the default model is generated (as diffusion-default-v1/ or video-default-v1/); null uses $OMNI_CACHE_DIR,
    /// else ~/.cache/omni/models. Ignored when <see cref="ModelDirectory"/> is set.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Reported model name; null uses the model directory's name, or the built-in model's.</summary>
    public string? ModelName { get; init; }
}

public enum BuiltInDiffusionModel
{
    /// <summary>The default image model (omni-dit-default).</summary>
    Image,

    /// <summary>The default video model (omni-video-dit-default).</summary>
    Video,
}
