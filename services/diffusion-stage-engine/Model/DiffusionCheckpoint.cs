using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>Reads and writes a diffusion model directory: config.json plus model.safetensors.</summary>
public static class DiffusionCheckpoint
{
    public const string ConfigFileName = ModuleCheckpoint.ConfigFileName;
    public const string WeightsFileName = ModuleCheckpoint.WeightsFileName;

    /// <summary>
    /// Builds the model that config.json describes and fills it from model.safetensors, converting f16/bf16/f64 to
    /// float32. Throws <see cref="InvalidDataException"/> naming the tensor when one is missing, unexpected,
    /// mis-shaped or of a non-float type.
    /// </summary>
    public static OmniDiffusionModel Load(string directory, Device device)
    {
        var (configPath, weightsPath) = ModuleCheckpoint.Locate(directory, "diffusion model");
        return ModuleCheckpoint.LoadInto(new OmniDiffusionModel(DiffusionModelConfig.Load(configPath)), weightsPath, device);
    }

    /// <summary>Writes config.json and model.safetensors (float32) into <paramref name="directory"/>, creating it.</summary>
    public static void Save(OmniDiffusionModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModuleCheckpoint.Save(model, model.Config.ToJson(), directory);
    }
}
