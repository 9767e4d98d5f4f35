using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Model;

/// <summary>Reads and writes a vocoder directory: config.json plus model.safetensors (float32; the model computes in float64).</summary>
public static class Code2WavCheckpoint
{
    public const string ConfigFileName = ModuleCheckpoint.ConfigFileName;
    public const string WeightsFileName = ModuleCheckpoint.WeightsFileName;

    /// <summary>
    /// Builds the vocoder config.json describes and fills it from model.safetensors. Throws
    /// <see cref="InvalidDataException"/> naming the tensor when one is missing, unexpected, mis-shaped or of a non-float type.
    /// </summary>
    public static Code2WavModel Load(string directory, Device device)
    {
        var (configPath, weightsPath) = ModuleCheckpoint.Locate(directory, "code2wav model");
        return ModuleCheckpoint.LoadInto(new Code2WavModel(Code2WavConfig.Load(configPath)), weightsPath, device);
    }

    /// <summary>Writes config.json and model.safetensors into <paramref name="directory"/>, creating it.</summary>
    public static void Save(Code2WavModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModuleCheckpoint.Save(model, model.Config.ToJson(), directory);
    }
}
