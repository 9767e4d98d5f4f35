using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.OpenAi;

/// <summary>The JSON pieces the door's responses share, written as OpenAI's APIs write them.</summary>
public static class OpenAiJson
{
    /// <summary>OpenAI's stand-in for a log-probability of minus infinity (JSON has no infinities), as vLLM writes it.</summary>
    private const float MinLogprob = -9999f;

    private static readonly JsonFormatter Breakdown = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithFormatEnumsAsIntegers(false));

    /// <summary>Escapes only what JSON needs: the bodies are API responses, never embedded in HTML.</summary>
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            write(json);
        }
        return buffer.ToArray();
    }

    public static void WriteUsage(Utf8JsonWriter json, Usage? usage)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", usage?.PromptTokens ?? 0);
        json.WriteNumber("completion_tokens", usage?.CompletionTokens ?? 0);
        json.WriteNumber("total_tokens", (usage?.PromptTokens ?? 0) + (usage?.CompletionTokens ?? 0));
        json.WriteEndObject();
    }

    /// <summary>
    /// The request's timing breakdown (queue, end to end, each stage and transfer), the same as the gRPC final message's,
    /// under the extension field <c>omni</c>.
    /// </summary>
    public static void WriteBreakdown(Utf8JsonWriter json, string requestId, GenerateFinal final)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(final);
        json.WritePropertyName("omni");
        json.WriteStartObject();
        json.WriteString("request_id", requestId);
        json.WritePropertyName("final");
        json.WriteRawValue(Breakdown.Format(final), skipInputValidation: true);
        json.WriteEndObject();
    }

    public static string FinishReason(FinishReason reason) => reason == Contracts.V1.FinishReason.Length ? "length" : "stop";

    /// <summary>Chat's <c>logprobs.content</c> entries: token, logprob, UTF-8 bytes and the top alternatives.</summary>
    public static void WriteChatLogprobs(Utf8JsonWriter json, IEnumerable<TokenLogprob> logprobs)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(logprobs);
        json.WriteStartObject("logprobs");
        json.WriteStartArray("content");
        foreach (var entry in logprobs)
        {
            json.WriteStartObject();
            WriteToken(json, entry.Token, entry.Logprob);
            json.WriteStartArray("top_logprobs");
            foreach (var top in entry.Top)
            {
                json.WriteStartObject();
                WriteToken(json, top.Token, top.Logprob);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNull("refusal");
        json.WriteEndObject();
    }

    /// <summary>The legacy completions' <c>logprobs</c>: parallel arrays of tokens, logprobs, top alternatives and text offsets.</summary>
    public static void WriteCompletionLogprobs(Utf8JsonWriter json, IReadOnlyList<TokenLogprob> logprobs, int textOffset)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(logprobs);
        json.WriteStartObject("logprobs");
        json.WriteStartArray("tokens");
        foreach (var entry in logprobs)
        {
            json.WriteStringValue(entry.Token);
        }
        json.WriteEndArray();
        json.WriteStartArray("token_logprobs");
        foreach (var entry in logprobs)
        {
            json.WriteNumberValue(Finite(entry.Logprob));
        }
        json.WriteEndArray();
        json.WriteStartArray("top_logprobs");
        foreach (var entry in logprobs)
        {
            json.WriteStartObject();
            foreach (var top in entry.Top.DistinctBy(top => top.Token))
            {
                json.WriteNumber(top.Token, Finite(top.Logprob));
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("text_offset");
        foreach (var entry in logprobs)
        {
            json.WriteNumberValue(textOffset);
            textOffset += entry.Token.Length;
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteToken(Utf8JsonWriter json, string token, float logprob)
    {
        json.WriteString("token", token);
        json.WriteNumber("logprob", Finite(logprob));
        json.WriteStartArray("bytes");
        foreach (var value in Encoding.UTF8.GetBytes(token))
        {
            json.WriteNumberValue(value);
        }
        json.WriteEndArray();
    }

    private static float Finite(float logprob) => float.IsFinite(logprob) ? logprob : MinLogprob;
}
