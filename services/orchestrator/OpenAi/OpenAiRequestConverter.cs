using System.Text.Json;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// Converts an OpenAI request into the pipeline's <see cref="GenerateRequest"/> through <see cref="OpenAiFields"/>, the
/// door's only conversion; the values are validated afterwards by the same validation as the gRPC door's. Fields this
/// pipeline cannot honour are refused naming them; fields that do not change the answer (<c>user</c>, <c>store</c>, ...)
/// are ignored, as vLLM ignores them.
/// </summary>
public static class OpenAiRequestConverter
{
    /// <summary>The talker's one voice, the only <c>audio.voice</c> accepted.</summary>
    public const string DefaultVoice = "default";

    public static OpenAiCall Convert(OpenAiApi api, OpenAiInput input, string servedModel)
    {
        ArgumentNullException.ThrowIfNull(input);
        var body = input.Body;
        var model = body.String("model") ?? servedModel;
        if (model != servedModel)
        {
            throw new OpenAiRequestException(404, "model", $"The model '{model}' does not exist; this server serves '{servedModel}'.", code: "model_not_found");
        }
        RefuseUnsupported(api, body);

        var request = new GenerateRequest();
        foreach (var mapping in OpenAiFields.For(api))
        {
            mapping.Apply(input, request);
        }
        // Images come whole; a video's bytes are streamed as its body, not as events.
        var stream = (api is OpenAiApi.ChatCompletions or OpenAiApi.Completions) && body.Bool("stream") == true;
        var streamOptions = body.Get("stream_options") is { } options
            ? options.ValueKind == JsonValueKind.Object ? new JsonBody(options)
                : throw OpenAiRequestException.Invalid("stream_options", "stream_options must be an object.")
            : (JsonBody?)null;
        if (streamOptions is not null && !stream)
        {
            throw OpenAiRequestException.Invalid("stream_options", "stream_options needs stream: true.");
        }
        return new OpenAiCall(api, request, model)
        {
            Stream = stream,
            IncludeUsage = streamOptions?.Bool("include_usage") == true,
            ReturnTokenIds = body.Bool("return_token_ids") == true,
        };
    }

    private static void RefuseUnsupported(OpenAiApi api, JsonBody body)
    {
        static bool IsOne(JsonElement value) => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n == 1;
        static bool IsEmpty(JsonElement value) =>
            value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0 || value.ValueKind == JsonValueKind.Object && !value.EnumerateObject().Any();
        switch (api)
        {
            case OpenAiApi.ChatCompletions:
                body.Refuse("n", IsOne, "one choice per request (n = 1)");
                body.Refuse("tools", IsEmpty, "this model takes no tools");
                body.Refuse("functions", IsEmpty, "this model takes no functions");
                body.Refuse("tool_choice", value => value.ValueKind == JsonValueKind.String && value.GetString() is "none" or "auto",
                    "this model takes no tools");
                body.Refuse("response_format", value => value.ValueKind == JsonValueKind.Object && new JsonBody(value).String("type") == "text",
                    "only text responses");
                body.Refuse("logit_bias", IsEmpty, "no logit bias");
                body.Refuse("prediction", _ => false, "no predicted outputs");
                RefuseUnsupportedAudio(body);
                break;
            case OpenAiApi.Completions:
                body.Refuse("n", IsOne, "one choice per request (n = 1)");
                body.Refuse("best_of", IsOne, "one candidate per request (best_of = 1)");
                body.Refuse("echo", value => value.ValueKind == JsonValueKind.False, "the prompt is not echoed");
                body.Refuse("suffix", value => value.ValueKind == JsonValueKind.String && value.GetString()!.Length == 0, "no suffix");
                body.Refuse("logit_bias", IsEmpty, "no logit bias");
                break;
            case OpenAiApi.ImageGenerations:
                body.Refuse("response_format", value => value.ValueKind == JsonValueKind.String && value.GetString() == "b64_json",
                    "images are returned as b64_json; this server hosts no image URLs");
                body.Refuse("stream", value => value.ValueKind == JsonValueKind.False, "images come whole, not as partial-image events");
                body.Refuse("partial_images", value => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n == 0,
                    "images come whole, not as partial-image events");
                break;
            case OpenAiApi.VideoGenerations:
                // vLLM-Omni's extensions this pipeline cannot honour: its video model has no negative prompt and makes
                // text-to-video only. Its width and height are one field here, as for images.
                body.Refuse("negative_prompt", _ => false, "the video model takes no negative prompt");
                body.Refuse("input_reference", _ => false, "text-to-video only");
                body.Refuse("image_reference", _ => false, "text-to-video only");
                body.Refuse("width", _ => false, "send the size as size: 'WIDTHxHEIGHT'");
                body.Refuse("height", _ => false, "send the size as size: 'WIDTHxHEIGHT'");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(api));
        }
    }

    /// <summary>
    /// The <c>audio</c> object: only with <c>audio</c> among the modalities, only the keys the door maps (a misspelt
    /// talker extension would otherwise give the defaults silently), and only the default voice.
    /// </summary>
    private static void RefuseUnsupportedAudio(JsonBody body)
    {
        if (body.Object(OpenAiFields.AudioParam) is not { } audio)
        {
            return;
        }
        if (!OpenAiFields.WantsAudio(body))
        {
            throw OpenAiRequestException.Invalid(OpenAiFields.AudioParam, "audio needs 'audio' among the modalities (such as [\"text\", \"audio\"]).");
        }
        foreach (var field in audio.Root.EnumerateObject().Where(field => field.Value.ValueKind != JsonValueKind.Null))
        {
            if (!OpenAiFields.AudioKeys.Contains(field.Name))
            {
                throw OpenAiRequestException.Invalid($"audio.{field.Name}",
                    $"audio.{field.Name} is not supported: audio takes {string.Join(", ", OpenAiFields.AudioKeys)}.");
            }
        }
        // The talker takes no speaker: it speaks in the one voice its checkpoint has. Another voice is refused rather than
        // replaced silently, as any field the pipeline cannot honour is; OpenAI's clients that must name one send "default".
        if (audio.String("voice") is { } voice && voice != DefaultVoice)
        {
            throw OpenAiRequestException.Invalid("audio.voice",
                $"audio.voice must be '{DefaultVoice}', got '{voice}': this pipeline's talker speaks in one voice.");
        }
    }
}
