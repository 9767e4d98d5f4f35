using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Model;

/// <summary>Reads and writes a vocoder directory: config.json plus model.safetensors.</summary>
public static class Code2WavCheckpoint
{
    public const string ConfigFileName = "config.json";
    public const string WeightsFileName = "model.safetensors";

    /// <summary>
    /// Builds the model config.json describes and fills it from model.safetensors, converting f16/bf16/f64 to
    /// float32. Throws <see cref="InvalidDataException"/> naming the tensor when one is missing, unexpected,
    /// mis-shaped or of a non-float type.
    /// </summary>
    public static Code2WavModel Load(string directory, Device device)
    {
        var configPath = Path.Combine(directory, ConfigFileName);
        var weightsPath = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"The code2wav model directory '{directory}' has no {ConfigFileName}.", configPath);
        }
        if (!File.Exists(weightsPath))
        {
            throw new FileNotFoundException($"The code2wav model directory '{directory}' has no {WeightsFileName}.", weightsPath);
        }

        var model = new Code2WavModel(Code2WavConfig.Load(configPath));
        try
        {
            LoadWeights(model, weightsPath);
            model.to(device);
            model.eval();
            // The weights live as long as the model, not as long as whatever dispose scope the caller is in.
            foreach (var parameter in model.parameters())
            {
                parameter.DetachFromDisposeScope();
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Writes config.json and model.safetensors (float32) into <paramref name="directory"/>, creating it.</summary>
    public static void Save(Code2WavModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ConfigFileName), model.Config.ToJson());
        using var scope = NewDisposeScope();
        var weights = model.state_dict().ToDictionary(entry => entry.Key, entry => entry.Value.detach().to(float32).cpu().contiguous());
        Safetensors.SaveStateDict(Path.Combine(directory, WeightsFileName), weights);
    }

    private static void LoadWeights(Code2WavModel model, string weightsPath)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var loaded = Safetensors.LoadStateDict(weightsPath);
        var expected = model.state_dict();
        foreach (var name in loaded.Keys.Order(StringComparer.Ordinal))
        {
            if (!expected.ContainsKey(name))
            {
                throw new InvalidDataException($"Unexpected tensor '{name}' in {weightsPath}: the model has no such parameter.");
            }
        }
        foreach (var (name, target) in expected.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            if (!loaded.TryGetValue(name, out var source))
            {
                throw new InvalidDataException($"Missing tensor '{name}' in {weightsPath} (expected shape {Shape(target.shape)}).");
            }
            if (!source.shape.SequenceEqual(target.shape))
            {
                throw new InvalidDataException($"Tensor '{name}' in {weightsPath} has shape {Shape(source.shape)}, expected {Shape(target.shape)}.");
            }
            if (source.dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64))
            {
                throw new InvalidDataException($"Tensor '{name}' in {weightsPath} has dtype {source.dtype}, expected a floating-point type.");
            }
            target.copy_(source.to(float32));
        }
    }

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
