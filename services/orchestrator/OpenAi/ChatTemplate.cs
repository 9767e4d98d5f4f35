using System.Text;
using System.Text.Json;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// Forms the prompt of a chat from its messages with ChatML, the template of the Qwen2 family the AR stage serves:
/// <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c> per message, then <c>&lt;|im_start|&gt;assistant\n</c> to open the
/// answer. Roles: system (and developer, its newer name), user, assistant; content is a string or an array of text parts.
/// </summary>
public static class ChatTemplate
{
    public const string MessagesParam = "messages";

    public static string Render(JsonElement? messages)
    {
        if (messages is not { ValueKind: JsonValueKind.Array } array || array.GetArrayLength() == 0)
        {
            throw OpenAiRequestException.Invalid(MessagesParam, "messages must be a non-empty array of messages.");
        }
        var prompt = new StringBuilder();
        var index = 0;
        foreach (var message in array.EnumerateArray())
        {
            var at = $"{MessagesParam}[{index++}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw OpenAiRequestException.Invalid(at, $"{at} must be an object with a role and content.");
            }
            var body = new JsonBody(message);
            var role = body.String("role") switch
            {
                "system" or "developer" => "system",
                "user" => "user",
                "assistant" => "assistant",
                null => throw OpenAiRequestException.Invalid($"{at}.role", $"{at}.role is required."),
                var other => throw OpenAiRequestException.Invalid($"{at}.role",
                    $"{at}.role must be system, developer, user or assistant, got '{other}' (this model takes no tool calls)."),
            };
            prompt.Append("<|im_start|>").Append(role).Append('\n').Append(Content(message, at)).Append("<|im_end|>\n");
        }
        return prompt.Append("<|im_start|>assistant\n").ToString();
    }

    private static string Content(JsonElement message, string at)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            throw OpenAiRequestException.Invalid($"{at}.content", $"{at}.content is required.");
        }
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            throw OpenAiRequestException.Invalid($"{at}.content", $"{at}.content must be a string or an array of text parts.");
        }
        var text = new StringBuilder();
        var part = 0;
        foreach (var item in content.EnumerateArray())
        {
            var partAt = $"{at}.content[{part++}]";
            var body = item.ValueKind == JsonValueKind.Object ? new JsonBody(item)
                : throw OpenAiRequestException.Invalid(partAt, $"{partAt} must be an object.");
            if (body.String("type") != "text")
            {
                throw OpenAiRequestException.Invalid($"{partAt}.type", $"{partAt}.type must be 'text': this pipeline takes text input only.");
            }
            text.Append(body.String("text") ?? throw OpenAiRequestException.Invalid($"{partAt}.text", $"{partAt}.text is required."));
        }
        return text.ToString();
    }
}
