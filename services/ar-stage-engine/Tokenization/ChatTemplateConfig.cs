using System.Text.Json;

namespace Omni.ArStage.Tokenization;

/// <summary>
/// A checkpoint's chat template, from its <c>tokenizer_config.json</c> as Hugging Face writes it: <c>chat_template</c>
/// (a Jinja string, or a list of <c>{name, template}</c> of which "default" is used) and the BOS/EOS token strings the
/// template may print (strings, or added-token objects with a <c>content</c>).
/// </summary>
public sealed record ChatTemplateConfig(string Template, string BosToken, string EosToken)
{
    public const string FileName = "tokenizer_config.json";

    /// <summary>The template of the checkpoint in <paramref name="modelDirectory"/>, or null when it has none.</summary>
    public static ChatTemplateConfig? Load(string? modelDirectory)
    {
        var path = modelDirectory is null ? null : Path.Combine(modelDirectory, FileName);
        if (path is null || !File.Exists(path))
        {
            return null;
        }
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return Parse(document.RootElement, path);
    }

    public static ChatTemplateConfig? Parse(JsonElement config, string source)
    {
        if (config.ValueKind != JsonValueKind.Object || !config.TryGetProperty("chat_template", out var template))
        {
            return null;
        }
        var text = template.ValueKind switch
        {
            JsonValueKind.String => template.GetString(),
            JsonValueKind.Array => template.EnumerateArray()
                .Where(entry => entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("name", out var name) && name.GetString() == "default")
                .Select(entry => entry.TryGetProperty("template", out var value) ? value.GetString() : null)
                .FirstOrDefault(),
            JsonValueKind.Null => null,
            _ => throw new FormatException($"{source}: chat_template must be a string or a list of {{name, template}}."),
        };
        return string.IsNullOrEmpty(text) ? null : new ChatTemplateConfig(text, Token(config, "bos_token"), Token(config, "eos_token"));
    }

    private static string Token(JsonElement config, string name) =>
        !config.TryGetProperty(name, out var token) ? ""
        : token.ValueKind == JsonValueKind.String ? token.GetString()!
        : token.ValueKind == JsonValueKind.Object && token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString()!
        : "";
}
