using static TorchSharp.torch;

namespace Omni.ArStage.Engine;

/// <summary>The <c>--dtype</c> names: float32, bfloat16, float16 (and their usual short forms).</summary>
public static class ModelDType
{
    public static ScalarType Parse(string? name) => (name ?? "float32").Trim().ToLowerInvariant() switch
    {
        "float32" or "fp32" or "float" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" or "half" => ScalarType.Float16,
        _ => throw new ArgumentException($"Unknown dtype '{name}'; expected float32, bfloat16 or float16.", nameof(name)),
    };

    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => dtype.ToString().ToLowerInvariant(),
    };
}
