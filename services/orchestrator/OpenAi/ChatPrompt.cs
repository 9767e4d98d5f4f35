using System.Text;
using System.Text.Json;
using Omni.Orchestrator.OpenAi.Jinja;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// Forms the prompt of a chat from its messages: with the checkpoint's own chat template when the text stage reports
/// one (rendered as transformers' <c>apply_chat_template</c> with <c>add_generation_prompt</c>), else with ChatML, the
/// template of the Qwen2 family the AR stage serves: <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c> per message, then
/// <c>&lt;|im_start|&gt;assistant\n</c>. Roles: system (and developer, its newer name), user, assistant; content is a string
/// or an array of text parts.
/// </summary>
public static class ChatPrompt
{
    public const string MessagesParam = "messages";

    public static string Render(JsonElement? messages, CheckpointChatTemplate.Compiled? template)
    {
        var turns = Read(messages);
        if (template is null)
        {
            var prompt = new StringBuilder();
            foreach (var (role, content) in turns)
            {
                prompt.Append("<|im_start|>").Append(role).Append('\n').Append(content).Append("<|im_end|>\n");
            }
            return prompt.Append("<|im_start|>assistant\n").ToString();
        }
        try
        {
            return template.Template.Render(new Dictionary<string, object?>
            {
                [MessagesParam] = turns.Select(turn => (object?)new Dictionary<string, object?> { ["role"] = turn.Role, ["content"] = turn.Content }).ToList(),
                ["add_generation_prompt"] = true,
                ["bos_token"] = template.BosToken,
                ["eos_token"] = template.EosToken,
            });
        }
        catch (JinjaException refused) when (refused.RaisedByTemplate)
        {
            throw OpenAiRequestException.Invalid(MessagesParam, $"The model's chat template refuses these messages: {refused.Message}");
        }
        catch (JinjaException failed)
        {
            throw new OpenAiRequestException(500, null, $"The model's chat template cannot be rendered here: {failed.Message}", "server_error");
        }
    }

    private static List<(string Role, string Content)> Read(JsonElement? messages)
    {
        if (messages is not { ValueKind: JsonValueKind.Array } array || array.GetArrayLength() == 0)
        {
            throw OpenAiRequestException.Invalid(MessagesParam, "messages must be a non-empty array of messages.");
        }
        var turns = new List<(string, string)>();
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
            turns.Add((role, Content(message, at)));
        }
        return turns;
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
