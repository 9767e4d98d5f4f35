using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Omni.Common.Torch;

/// <summary>
/// A model directory: config.json (the architecture, read by the model's own config type) plus model.safetensors (its
/// parameters by checkpoint name), read into and written from a module's state_dict.
/// </summary>
public static class ModuleCheckpoint
{
    public const string ConfigFileName = "config.json";
    public const string WeightsFileName = "model.safetensors";

    /// <summary>The directory's config.json and model.safetensors; throws <see cref="FileNotFoundException"/> naming what is missing.</summary>
    /// <param name="directory">The model directory.</param>
    /// <param name="what">What the directory holds, for the message ("diffusion model").</param>
    public static (string ConfigPath, string WeightsPath) Locate(string directory, string what)
    {
        var configPath = Path.Combine(directory, ConfigFileName);
        var weightsPath = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"The {what} directory '{directory}' has no {ConfigFileName}.", configPath);
        }
        if (!File.Exists(weightsPath))
        {
            throw new FileNotFoundException($"The {what} directory '{directory}' has no {WeightsFileName}.", weightsPath);
        }
        return (configPath, weightsPath);
    }

    /// <summary>
    /// Fills <paramref name="module"/> from <paramref name="weightsPath"/> (f16/bf16/f64 converted to the parameter's
    /// type), moves it to <paramref name="device"/> for inference, and detaches its parameters from the caller's
    /// dispose scope. Throws <see cref="InvalidDataException"/> naming the tensor when one is missing, unexpected,
    /// mis-shaped or of a non-float type; the module is disposed then.
    /// </summary>
    public static TModule LoadInto<TModule>(TModule module, string weightsPath, Device device)
        where TModule : nn.Module
    {
        ArgumentNullException.ThrowIfNull(module);
        try
        {
            LoadWeights(module, weightsPath);
            module.to(device);
            module.eval();
            foreach (var parameter in module.parameters())
            {
                parameter.DetachFromDisposeScope();
            }
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="configJson"/> as config.json and the parameters as float32 model.safetensors, creating the directory.</summary>
    public static void Save(nn.Module module, string configJson, string directory)
    {
        ArgumentNullException.ThrowIfNull(module);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ConfigFileName), configJson);
        using var scope = NewDisposeScope();
        var weights = module.state_dict().ToDictionary(entry => entry.Key, entry => entry.Value.detach().to(float32).cpu().contiguous());
        Safetensors.SaveStateDict(Path.Combine(directory, WeightsFileName), weights);
    }

    private static void LoadWeights(nn.Module module, string weightsPath)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var loaded = Safetensors.LoadStateDict(weightsPath);
        var expected = module.state_dict();
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
            target.copy_(source.to(target.dtype));
        }
    }

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
