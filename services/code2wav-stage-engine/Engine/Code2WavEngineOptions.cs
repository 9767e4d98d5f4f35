namespace Omni.Code2Wav.Engine;

public sealed record Code2WavEngineOptions
{
    /// <summary>A directory with config.json and model.safetensors; null uses the built-in default vocoder.</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>"auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Root under which the default vocoder is generated (as code2wav-default-v1/); null: $OMNI_CACHE_DIR, else ~/.cache/omni/models.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Reported model name; null uses the model directory's name, or "omni-code2wav-default".</summary>
    public string? ModelName { get; init; }
}
