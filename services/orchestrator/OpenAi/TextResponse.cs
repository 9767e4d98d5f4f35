using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// A chat completion (<c>chat.completion</c> / <c>chat.completion.chunk</c>) or a legacy completion
/// (<c>text_completion</c>), whole or streamed, with logprobs, the usage, vLLM's <c>token_ids</c> extension, the
/// request's timing breakdown under <c>omni</c>, and a chat's speech (<see cref="ChatAudio"/>). With speech the text
/// stays in <c>content</c> (streamed: <c>delta.content</c>) when text was asked for too, and is the audio's
/// <c>transcript</c> in the whole response.
/// </summary>
public sealed class TextResponse(HttpContext context, OpenAiCall call, string requestId, long created) : OpenAiResponse(context)
{
    private readonly StringBuilder _text = new();
    private readonly List<int> _tokenIds = [];
    private readonly List<TokenLogprob> _logprobs = [];
    private readonly ChatAudio? _audio = call.Audio ? new ChatAudio(requestId, created, call.Request.Audio?.Format ?? AudioFormat.Unspecified) : null;
    private bool _sentRole;

    private bool IsChat => call.Api == OpenAiApi.ChatCompletions;

    private string Id => (IsChat ? "chatcmpl-" : "cmpl-") + requestId;

    public override async Task WriteAsync(GenerateResponse message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (message.PayloadCase)
        {
            case GenerateResponse.PayloadOneofCase.Text when call.Stream:
                await SendEventAsync(Chunk(message.Text, null, null), cancellationToken).ConfigureAwait(false);
                _text.Append(message.Text.Text);
                break;
            case GenerateResponse.PayloadOneofCase.Text:
                _text.Append(message.Text.Text);
                _tokenIds.AddRange(message.Text.TokenIds);
                _logprobs.AddRange(message.Text.Logprobs);
                break;
            case GenerateResponse.PayloadOneofCase.Audio when _audio is not null && call.Stream:
                await SendEventAsync(Chunk(null, message.Audio, null), cancellationToken).ConfigureAwait(false);
                break;
            case GenerateResponse.PayloadOneofCase.Audio when _audio is not null:
                _audio.Add(message.Audio);
                break;
            case GenerateResponse.PayloadOneofCase.Final when call.Stream:
                await SendEventAsync(Chunk(null, null, message.Final), cancellationToken).ConfigureAwait(false);
                if (call.IncludeUsage)
                {
                    await SendEventAsync(UsageChunk(message.Final.Usage), cancellationToken).ConfigureAwait(false);
                }
                await SendDoneAsync(cancellationToken).ConfigureAwait(false);
                break;
            case GenerateResponse.PayloadOneofCase.Final:
                await WriteBodyAsync(Whole(message.Final), cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException($"A text response got a {message.PayloadCase} payload.");
        }
    }

    private byte[] Whole(GenerateFinal final) => OpenAiJson.Write(json =>
    {
        OpenChoice(json, IsChat ? "chat.completion" : "text_completion");
        if (IsChat)
        {
            json.WriteStartObject("message");
            json.WriteString("role", "assistant");
            if (call.Text)
            {
                json.WriteString("content", _text.ToString());
            }
            else
            {
                json.WriteNull("content");
            }
            json.WriteNull("refusal");
            _audio?.WriteWhole(json, _text.ToString());
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("text", _text.ToString());
        }
        WriteLogprobs(json, _logprobs, 0);
        json.WriteString("finish_reason", OpenAiJson.FinishReason(final.FinishReason));
        WriteTokenIds(json, _tokenIds);
        CloseChoice(json);
        OpenAiJson.WriteUsage(json, final.Usage);
        OpenAiJson.WriteBreakdown(json, requestId, final);
        json.WriteEndObject();
    });

    /// <summary>A stream chunk: one text delta, one audio chunk, or (with <paramref name="final"/>) the finish reason and breakdown.</summary>
    private byte[] Chunk(TextDelta? delta, AudioChunk? audio, GenerateFinal? final) => OpenAiJson.Write(json =>
    {
        OpenChoice(json, IsChat ? "chat.completion.chunk" : "text_completion");
        if (IsChat)
        {
            json.WriteStartObject("delta");
            if (!_sentRole)
            {
                _sentRole = true;
                json.WriteString("role", "assistant");
            }
            if (delta is not null)
            {
                json.WriteString("content", delta.Text);
            }
            if (audio is not null)
            {
                _audio!.WriteDelta(json, audio);
            }
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("text", delta?.Text ?? "");
        }
        if (delta is not null)
        {
            WriteLogprobs(json, delta.Logprobs, _text.Length);
        }
        else
        {
            json.WriteNull("logprobs");
        }
        if (final is null)
        {
            json.WriteNull("finish_reason");
        }
        else
        {
            json.WriteString("finish_reason", OpenAiJson.FinishReason(final.FinishReason));
        }
        if (delta is not null)
        {
            WriteTokenIds(json, delta.TokenIds);
        }
        CloseChoice(json);
        if (call.IncludeUsage)
        {
            json.WriteNull("usage");
        }
        if (final is not null)
        {
            OpenAiJson.WriteBreakdown(json, requestId, final);
        }
        json.WriteEndObject();
    });

    private byte[] UsageChunk(Usage usage) => OpenAiJson.Write(json =>
    {
        json.WriteStartObject();
        Header(json, IsChat ? "chat.completion.chunk" : "text_completion");
        json.WriteStartArray("choices");
        json.WriteEndArray();
        OpenAiJson.WriteUsage(json, usage);
        json.WriteEndObject();
    });

    /// <summary>Opens the response object and its one choice: <c>{"id", "object", "created", "model", "choices": [{"index": 0, </c>.</summary>
    private void OpenChoice(Utf8JsonWriter json, string type)
    {
        json.WriteStartObject();
        Header(json, type);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
    }

    private static void CloseChoice(Utf8JsonWriter json)
    {
        json.WriteEndObject();
        json.WriteEndArray();
    }

    private void Header(Utf8JsonWriter json, string type)
    {
        json.WriteString("id", Id);
        json.WriteString("object", type);
        json.WriteNumber("created", created);
        json.WriteString("model", call.Model);
    }

    private void WriteLogprobs(Utf8JsonWriter json, IList<TokenLogprob> logprobs, int textOffset)
    {
        if (!call.Logprobs)
        {
            json.WriteNull("logprobs");
        }
        else if (IsChat)
        {
            OpenAiJson.WriteChatLogprobs(json, logprobs);
        }
        else
        {
            OpenAiJson.WriteCompletionLogprobs(json, [.. logprobs], textOffset);
        }
    }

    private void WriteTokenIds(Utf8JsonWriter json, IEnumerable<int> tokenIds)
    {
        if (!call.ReturnTokenIds)
        {
            return;
        }
        json.WriteStartArray("token_ids");
        foreach (var id in tokenIds)
        {
            json.WriteNumberValue(id);
        }
        json.WriteEndArray();
    }
}
