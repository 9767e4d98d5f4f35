using System.ComponentModel.DataAnnotations;

namespace Omni.Common.Hosting;

/// <summary>A stage's model and engine settings, bound from the "Model" section.</summary>
public class StageModelOptions
{
    public const string SectionName = "Model";

    /// <summary>A checkpoint directory (config.json + safetensors); empty for the built-in seeded default model.</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>Overrides the model_name label (default: the directory name, or the built-in model's name).</summary>
    public string? ModelName { get; set; }

    /// <summary>auto, cpu, cuda or cuda:N.</summary>
    [Required, RegularExpression("^(auto|cpu|cuda(:[0-9]+)?)$", ErrorMessage = "Device must be auto, cpu, cuda or cuda:N.")]
    public string Device { get; set; } = "auto";

    /// <summary>Where the built-in model is written (default $OMNI_CACHE_DIR or ~/.cache/omni/models).</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// Run short requests through the engine before the ports open, so that the first clients do not pay for the
    /// engine's first use (code compiled on first call; on a GPU, kernels loaded and library handles created).
    /// </summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>Requests allowed to wait for the engine; more get RESOURCE_EXHAUSTED.</summary>
    [Range(0, 100_000)]
    public int MaxWaiting { get; set; } = 256;

    public static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
