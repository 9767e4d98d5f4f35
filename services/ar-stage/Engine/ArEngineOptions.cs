namespace Omni.ArStage.Engine;

public sealed record ArEngineOptions
{
    /// <summary>A Hugging Face checkpoint directory; null loads the built-in default model.</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>"auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Cache root for the built-in model; null uses $OMNI_CACHE_DIR, else ~/.cache/omni/models.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Reported model name; null uses the directory name, or "omni-ar-default" for the built-in model.</summary>
    public string? ModelName { get; init; }
}
