using Omni.Code2WavStage.Encoding;
using Omni.Common.Audio;
using Omni.Contracts.V1;

namespace Omni.Code2Wav.Tests;

public sealed class AudioStreamEncoderTests
{
    private const int Rate = 24000;

    private static float[] Tone(int samples) => [.. Enumerable.Range(0, samples).Select(i => (float)(0.3 * Math.Sin(i * 0.05)))];

    [Fact]
    public void Pcm_EachChunkAtOnce_WithItsSamplesAndIndex()
    {
        var encoder = new AudioStreamEncoder(AudioFormat.PcmS16Le, Rate);

        var first = encoder.Add(Tone(480))!;
        var second = encoder.Add(Tone(960))!;

        Assert.Equal((0u, 480ul, 960), (first.Index, first.Samples, first.Data.Length));
        Assert.Equal((1u, 960ul), (second.Index, second.Samples));
        Assert.Equal("audio/L16;rate=24000;channels=1", second.MimeType);
        Assert.Null(encoder.Finish());
    }

    [Fact]
    public void Wav_HeldBack_ThenOneWholeFile()
    {
        var encoder = new AudioStreamEncoder(AudioFormat.Wav, Rate);
        var tone = Tone(1000);

        Assert.Null(encoder.Add(tone.AsSpan(0, 400)));
        Assert.Null(encoder.Add(tone.AsSpan(400)));
        var file = encoder.Finish()!;

        Assert.Equal(WavFile.Encode(tone, Rate), file.Data.ToByteArray());
        Assert.Equal((0u, 1000ul, "audio/wav"), (file.Index, file.Samples, file.MimeType));
    }

    [Fact]
    public void Opus_ChunksTogether_SameBytesAsOneEncoderAtOnce()
    {
        var tone = Tone(4800);
        var streamed = new AudioStreamEncoder(AudioFormat.Opus, Rate);
        var chunks = new[] { streamed.Add(tone.AsSpan(0, 1000)), streamed.Add(tone.AsSpan(1000)), streamed.Finish() }.OfType<AudioChunk>().ToList();
        using var whole = new MemoryStream();
        var encoder = new OggOpusEncoder(whole, Rate);
        encoder.Append(tone);
        encoder.Finish();

        Assert.Equal(whole.ToArray(), chunks.SelectMany(chunk => chunk.Data.ToByteArray()).ToArray());
        Assert.Equal(4800ul, (ulong)chunks.Sum(chunk => (long)chunk.Samples));
        Assert.Equal(Enumerable.Range(0, chunks.Count).Select(i => (uint)i), chunks.Select(chunk => chunk.Index));
    }
}
