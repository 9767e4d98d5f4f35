using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Loads a Hugging Face checkpoint directory (<c>config.json</c>, its end-of-sequence ids joined by those of a
/// <c>generation_config.json</c>, plus <c>model.safetensors</c> or a sharded <c>model.safetensors.index.json</c>) into a <see cref="CausalLanguageModel"/>. The file must hold exactly the
/// model's tensors with exactly its shapes; the weights are converted to the requested dtype (float32 by default).
/// </summary>
public static class CheckpointLoader
{
    public const string ConfigFileName = "config.json";
    public const string GenerationConfigFileName = "generation_config.json";
    public const string WeightsFileName = "model.safetensors";
    public const string ShardIndexFileName = "model.safetensors.index.json";

    public static CausalLanguageModel Load(string directory, Device device, ScalarType dtype = ScalarType.Float32)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
        {
            throw new NotSupportedException($"dtype {dtype} is not supported (expected float32, bfloat16 or float16).");
        }

        var configPath = System.IO.Path.Combine(directory, ConfigFileName);
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"Model directory '{directory}' has no {ConfigFileName}.", configPath);
        }

        var config = TransformerConfig.Load(configPath);
        if (System.IO.Path.Combine(directory, GenerationConfigFileName) is var generationPath && File.Exists(generationPath))
        {
            config = config.WithGenerationConfig(generationPath);
        }
        var readers = OpenWeights(directory);
        try
        {
            var model = new CausalLanguageModel(config);
            try
            {
                LoadInto(model, readers);
                model.eval();
                if (dtype != ScalarType.Float32)
                {
                    model.to(dtype).DetachParametersFromDisposeScope();
                }

                if (device.type != DeviceType.CPU)
                {
                    model.to(device).DetachParametersFromDisposeScope();
                }

                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                reader.Dispose();
            }
        }
    }

    /// <summary>Copies every parameter of <paramref name="model"/> from the files, after checking names and shapes.</summary>
    public static void LoadInto(CausalLanguageModel model, IReadOnlyList<SafetensorsReader> files)
    {
        var available = new Dictionary<string, (SafetensorsReader Reader, SafetensorsEntry Entry)>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var (name, entry) in file.Entries)
            {
                if (!available.TryAdd(name, (file, entry)))
                {
                    throw new InvalidDataException($"Tensor '{name}' appears in both '{available[name].Reader.Path}' and '{file.Path}'.");
                }
            }
        }

        var parameters = model.named_parameters().ToList();
        var expected = parameters.Select(p => p.name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, _) in parameters)
        {
            if (!available.ContainsKey(name))
            {
                throw new InvalidDataException($"Checkpoint is missing tensor '{name}'.");
            }
        }

        foreach (var name in available.Keys.Order(StringComparer.Ordinal))
        {
            if (!expected.Contains(name) && !IsIgnorable(name, model.Config))
            {
                throw new InvalidDataException($"Checkpoint has unexpected tensor '{name}'.");
            }
        }

        foreach (var (name, parameter) in parameters)
        {
            var entry = available[name].Entry;
            if (!entry.Shape.SequenceEqual(parameter.shape))
            {
                throw new InvalidDataException(
                    $"Tensor '{name}' has shape {SafetensorsEntry.FormatShape(entry.Shape)} but the model expects {SafetensorsEntry.FormatShape(parameter.shape)}.");
            }

            if (!SafetensorsDType.IsFloatingPoint(entry.DType))
            {
                throw new InvalidDataException($"Tensor '{name}' has dtype {entry.DType}; expected a floating-point type.");
            }
        }

        using var noGrad = no_grad();
        foreach (var (name, parameter) in parameters)
        {
            using var source = available[name].Reader.Read(name);
            parameter.copy_(source);
            parameter.requires_grad = false;
        }
    }

    /// <summary>Opens <c>model.safetensors</c>, or every shard named by <c>model.safetensors.index.json</c>.</summary>
    public static IReadOnlyList<SafetensorsReader> OpenWeights(string directory)
    {
        var single = System.IO.Path.Combine(directory, WeightsFileName);
        if (File.Exists(single))
        {
            return [new SafetensorsReader(single)];
        }

        var indexPath = System.IO.Path.Combine(directory, ShardIndexFileName);
        if (!File.Exists(indexPath))
        {
            throw new FileNotFoundException($"Model directory '{directory}' has neither {WeightsFileName} nor {ShardIndexFileName}.");
        }

        using var index = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        var shards = index.RootElement.GetProperty("weight_map").EnumerateObject()
            .Select(p => p.Value.GetString() ?? throw new InvalidDataException($"{ShardIndexFileName}: '{p.Name}' has no file."))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var readers = new List<SafetensorsReader>();
        try
        {
            foreach (var shard in shards)
            {
                readers.Add(new SafetensorsReader(System.IO.Path.Combine(directory, shard)));
            }
        }
        catch
        {
            readers.ForEach(r => r.Dispose());
            throw;
        }

        return readers;
    }

    // transformers itself ignores these: older checkpoints carry the non-persistent rotary buffer, and tied models
    // may still store lm_head.weight although it is replaced by the embedding.
    private static bool IsIgnorable(string name, TransformerConfig config) =>
        name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)
        || (config.TieWordEmbeddings && name == "lm_head.weight");
}
