using NetEscapades.Configuration.Yaml;

namespace Omni.Orchestrator.Configuration;

/// <summary>
/// Where the pipeline definition comes from: the file given with --pipeline (YAML or JSON), else the default
/// definition shipped beside the binary. It is the lowest-precedence configuration source, so appsettings,
/// environment variables (Pipeline__Stages__0__Addresses) and flags (--ar-address) override single keys of it.
/// </summary>
public static class PipelineDefinition
{
    public const string FileKey = "Pipeline:File";

    public static string DefaultFile => Path.Combine(AppContext.BaseDirectory, "pipelines", "default.yaml");

    public static void AddPipelineDefinition(this IConfigurationBuilder configuration, string? file)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var path = Path.GetFullPath(string.IsNullOrWhiteSpace(file) ? DefaultFile : file);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The pipeline definition {path} does not exist.", path);
        }
        IConfigurationSource source = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".yaml" or ".yml" => new YamlConfigurationSource { Path = path, Optional = false, ReloadOnChange = false },
            ".json" => new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource { Path = path, Optional = false, ReloadOnChange = false },
            var other => throw new InvalidOperationException($"The pipeline definition {path} must be .yaml, .yml or .json, not '{other}'."),
        };
        if (source is FileConfigurationSource fileSource)
        {
            fileSource.ResolveFileProvider();
        }
        configuration.Sources.Insert(0, source);
    }
}
