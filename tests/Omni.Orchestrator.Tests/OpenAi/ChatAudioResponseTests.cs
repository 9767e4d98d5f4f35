using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Omni.Contracts.V1;
using Omni.Orchestrator.OpenAi;

namespace Omni.Orchestrator.Tests.OpenAi;

/// <summary>A chat completion with speech, as the door writes it: <c>message.audio</c> whole, <c>delta.audio</c> streamed.</summary>
public sealed class ChatAudioResponseTests
{
    private const string Model = "omni-default";
    private const string RequestId = "req-1";
    private const long Created = 1_700_000_000;

    private static readonly AudioChunk First = Chunk(0, [1, 2, 3, 4]);
    private static readonly AudioChunk Second = Chunk(1, [5, 6]);

    [Fact]
    public async Task WriteAsync_WholeChatWithAudio_DataIsTheChunksInOrderInBase64()
    {
        var audio = (await WholeAsync("""["text","audio"]""", Text("Hi"), Audio(First), Audio(Second), Final()))
            .GetProperty("choices")[0].GetProperty("message").GetProperty("audio");

        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, audio.GetProperty("data").GetBytesFromBase64());
    }

    [Fact]
    public async Task WriteAsync_WholeChatWithAudio_TranscriptIsTheTextAndContentKeepsIt()
    {
        var message = (await WholeAsync("""["text","audio"]""", Text("Hel"), Audio(First), Text("lo"), Final()))
            .GetProperty("choices")[0].GetProperty("message");

        Assert.Equal(("Hello", "Hello"), (message.GetProperty("audio").GetProperty("transcript").GetString(), message.GetProperty("content").GetString()));
    }

    [Fact]
    public async Task WriteAsync_WholeChatWithAudio_AudioHasIdExpiryFormatAndSampleRate()
    {
        var audio = (await WholeAsync("""["text","audio"]""", Audio(First), Final()))
            .GetProperty("choices")[0].GetProperty("message").GetProperty("audio");

        Assert.Equal(("audio-req-1", Created, "pcm16", 24000),
            (audio.GetProperty("id").GetString(), audio.GetProperty("expires_at").GetInt64(), audio.GetProperty("format").GetString(),
                audio.GetProperty("sample_rate").GetInt32()));
    }

    [Fact]
    public async Task WriteAsync_WholeChatAudioOnly_ContentIsNull()
    {
        var message = (await WholeAsync("""["audio"]""", Audio(First), Final())).GetProperty("choices")[0].GetProperty("message");

        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
    }

    [Fact]
    public async Task WriteAsync_WholeChatTextOnly_NoAudio()
    {
        var message = (await WholeAsync("""["text"]""", Text("Hi"), Final())).GetProperty("choices")[0].GetProperty("message");

        Assert.False(message.TryGetProperty("audio", out _));
    }

    [Fact]
    public async Task WriteAsync_StreamedAudioChunk_DeltaAudioHasTheChunksDataIdAndFormat()
    {
        var chunks = await StreamedAsync(Audio(First), Final());

        var audio = Delta(chunks[0]).GetProperty("audio");
        Assert.Equal(("audio-req-1", "AQIDBA==", "pcm16", 24000),
            (audio.GetProperty("id").GetString(), audio.GetProperty("data").GetString(), audio.GetProperty("format").GetString(),
                audio.GetProperty("sample_rate").GetInt32()));
    }

    [Fact]
    public async Task WriteAsync_StreamedAudioChunk_OneChunkEventPerAudioChunk()
    {
        var chunks = await StreamedAsync(Audio(First), Audio(Second), Final());

        Assert.Equal([[1, 2, 3, 4], [5, 6]], chunks.Where(chunk => Delta(chunk).TryGetProperty("audio", out _))
            .Select(chunk => Delta(chunk).GetProperty("audio").GetProperty("data").GetBytesFromBase64()).ToArray());
    }

    [Fact]
    public async Task WriteAsync_StreamedAudioChunk_ChatCompletionChunkWithoutFinishReason()
    {
        var chunk = (await StreamedAsync(Audio(First), Final()))[0];

        Assert.Equal(("chat.completion.chunk", JsonValueKind.Null),
            (chunk.GetProperty("object").GetString(), chunk.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
    }

    [Fact]
    public async Task WriteAsync_StreamedTextWithAudio_TextStaysInDeltaContent()
    {
        var chunks = await StreamedAsync(Text("Hi"), Audio(First), Final());

        Assert.Equal("Hi", Delta(chunks[0]).GetProperty("content").GetString());
    }

    private static JsonElement Delta(JsonElement chunk) => chunk.GetProperty("choices")[0].GetProperty("delta");

    private static async Task<JsonElement> WholeAsync(string modalities, params GenerateResponse[] messages) =>
        JsonDocument.Parse(await RunAsync(modalities, stream: false, messages)).RootElement;

    private static async Task<List<JsonElement>> StreamedAsync(params GenerateResponse[] messages)
    {
        var events = (await RunAsync("""["text","audio"]""", stream: true, messages)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        return [.. events[..^1].Select(line => JsonDocument.Parse(line["data: ".Length..]).RootElement)];
    }

    private static async Task<string> RunAsync(string modalities, bool stream, GenerateResponse[] messages)
    {
        using var document = JsonDocument.Parse($$"""
            {"messages":[{"role":"user","content":"Hi"}],"modalities":{{modalities}},"stream":{{(stream ? "true" : "false")}}
             {{(modalities.Contains("audio", StringComparison.Ordinal) ? ",\"audio\":{\"format\":\"pcm16\"}" : "")}}}
            """);
        var call = OpenAiRequestConverter.Convert(OpenAiApi.ChatCompletions, new OpenAiInput(JsonBody.Parse(document), null), Model);
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        var response = new TextResponse(context, call, RequestId, Created);
        foreach (var message in messages)
        {
            await response.WriteAsync(message, CancellationToken.None);
        }
        return Encoding.UTF8.GetString(body.ToArray());
    }

    private static AudioChunk Chunk(uint index, byte[] data) => new()
    {
        Data = ByteString.CopyFrom(data),
        MimeType = "audio/L16;rate=24000;channels=1",
        Format = AudioFormat.PcmS16Le,
        SampleRate = 24000,
        Channels = 1,
        Index = index,
        Samples = (ulong)data.Length / 2,
    };

    private static GenerateResponse Text(string text) => new() { RequestId = RequestId, Text = new TextDelta { Text = text } };

    private static GenerateResponse Audio(AudioChunk chunk) => new() { RequestId = RequestId, Audio = chunk };

    private static GenerateResponse Final() => new()
    {
        RequestId = RequestId,
        Final = new GenerateFinal { FinishReason = FinishReason.Stop, Usage = new Usage(), AudioDurationSeconds = 0.5 },
    };
}
