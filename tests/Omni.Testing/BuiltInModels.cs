using System.Text.Json.Nodes;

namespace Omni.Testing;

/// <summary>Copies of the stages' built-in checkpoints (written to the model cache by their first start), to alter for a test.</summary>
public static class BuiltInModels
{
    /// <summary>Copies the built-in AR checkpoint to <paramref name="target"/>; <paramref name="editConfig"/> may change its config.json.</summary>
    public static void CopyArModel(string target, Action<JsonNode>? editConfig = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var cacheRoot = Environment.GetEnvironmentVariable("OMNI_CACHE_DIR") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "omni", "models");
        var source = Path.Combine(cacheRoot, "ar-default-v1");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        if (editConfig is not null)
        {
            var configPath = Path.Combine(target, "config.json");
            var config = JsonNode.Parse(File.ReadAllText(configPath))!;
            editConfig(config);
            File.WriteAllText(configPath, config.ToJsonString());
        }
    }
}
