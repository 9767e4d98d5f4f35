using System.Text.Json;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// A chat completion's speech in OpenAI's shape: <c>message.audio</c> (<c>id</c>, <c>data</c>: the whole audio in
/// base64, <c>expires_at</c>, <c>transcript</c>) or, streamed, one <c>delta.audio</c> per chunk as the vocoder's chunks
/// arrive; both add <c>format</c> and <c>sample_rate</c>. The data is the format's bytes as they came: raw PCM for
/// <c>pcm16</c>, one RIFF file for <c>wav</c>, Ogg pages for <c>opus</c> (their concatenation is the Ogg stream).
/// </summary>
public sealed class ChatAudio(string requestId, long created, AudioFormat requested)
{
    private readonly List<AudioChunk> _chunks = [];

    public string Id => "audio-" + requestId;

    /// <summary>
    /// OpenAI's time after which the id can no longer be referred to in a later turn. This server keeps no audio, so it
    /// never can: the audio expires as it is created.
    /// </summary>
    public long ExpiresAt => created;

    public void Add(AudioChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        _chunks.Add(chunk);
    }

    /// <summary>The whole audio, as <c>"audio": {...}</c> of the message.</summary>
    public void WriteWhole(Utf8JsonWriter json, string transcript)
    {
        ArgumentNullException.ThrowIfNull(json);
        var chunks = _chunks.OrderBy(chunk => chunk.Index).ToList();
        var data = new byte[chunks.Sum(chunk => chunk.Data.Length)];
        var offset = 0;
        foreach (var chunk in chunks)
        {
            chunk.Data.Span.CopyTo(data.AsSpan(offset));
            offset += chunk.Data.Length;
        }
        Open(json, data);
        json.WriteString("transcript", transcript);
        WriteFormat(json, chunks.FirstOrDefault());
        json.WriteEndObject();
    }

    /// <summary>One chunk, as <c>"audio": {...}</c> of a stream chunk's delta.</summary>
    public void WriteDelta(Utf8JsonWriter json, AudioChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(chunk);
        Open(json, chunk.Data.Span);
        WriteFormat(json, chunk);
        json.WriteEndObject();
    }

    public static string FormatName(AudioFormat format) => format switch
    {
        AudioFormat.Wav => "wav",
        AudioFormat.Opus => "opus",
        _ => "pcm16",
    };

    private void Open(Utf8JsonWriter json, ReadOnlySpan<byte> data)
    {
        json.WriteStartObject("audio");
        json.WriteString("id", Id);
        json.WriteBase64String("data", data);
        json.WriteNumber("expires_at", ExpiresAt);
    }

    private void WriteFormat(Utf8JsonWriter json, AudioChunk? chunk)
    {
        json.WriteString("format", FormatName(chunk?.Format ?? requested));
        if (chunk is not null)
        {
            json.WriteNumber("sample_rate", chunk.SampleRate);
        }
    }
}
