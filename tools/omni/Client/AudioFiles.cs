using System.Globalization;
using Omni.Common.Audio;
using Omni.Contracts.V1;

namespace Omni.Cli.Client;

/// <summary>The audio file a client writes: the format to ask for by its extension, and the file made of the chunks.</summary>
public static class AudioFiles
{
    /// <summary>PCM for .wav (streamed; the header is written at the end) and .pcm, Ogg Opus for .opus and .ogg.</summary>
    public static AudioFormat FormatFor(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".wav" or ".pcm" or ".raw" => AudioFormat.PcmS16Le,
        ".opus" or ".ogg" => AudioFormat.Opus,
        var other => throw new ArgumentException($"--audio writes .wav, .opus, .ogg or .pcm files, not '{other}'."),
    };

    /// <summary>Writes the chunks to <paramref name="path"/> (PCM into a WAV file when the name ends in .wav) and returns its full path.</summary>
    public static string Save(IReadOnlyList<AudioChunk> chunks, string path)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Count == 0)
        {
            throw new InvalidOperationException("No audio came back.");
        }
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        using var file = File.Create(full);
        if (chunks[0].Format == AudioFormat.PcmS16Le && Path.GetExtension(path).Equals(".wav", StringComparison.OrdinalIgnoreCase))
        {
            file.Write(WavFile.Header((int)chunks[0].SampleRate, (int)chunks[0].Channels, chunks.Sum(chunk => (long)chunk.Data.Length)));
        }
        foreach (var chunk in chunks)
        {
            chunk.Data.WriteTo(file);
        }
        return full;
    }

    /// <summary>One line: the file, the audio's length, time to first packet and real-time factor as this client saw them.</summary>
    public static string Summary(GenerateResult result, string path)
    {
        ArgumentNullException.ThrowIfNull(result);
        var chunks = result.AudioChunks;
        var seconds = chunks.Sum(chunk => (double)chunk.Samples) / chunks[0].SampleRate;
        var rtf = seconds > 0 && result.LastAudio is { } last ? last.TotalSeconds / seconds : double.NaN;
        return string.Create(CultureInfo.InvariantCulture,
            $"{path} ({seconds:F2} s at {chunks[0].SampleRate} Hz, {chunks.Count} chunks) TTFP={result.FirstAudio?.TotalMilliseconds:F0}ms RTF={rtf:F2}");
    }
}
