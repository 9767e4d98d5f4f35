using System.Buffers.Binary;
using Concentus;
using Omni.Common.Audio;
using Omni.Testing;
using static Omni.Testing.AudioTools;

namespace Omni.Common.Tests;

/// <summary>WAV and Ogg Opus, read back by real decoders (Debian's sox and opus-tools, installed by scripts/test.sh).</summary>
public sealed class AudioEncodingTests : IDisposable
{
    private const int Rate = 24000;
    private readonly string _directory = Directory.CreateTempSubdirectory("omni-audio-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Pcm16_Samples_ScaledRoundedAndClamped()
    {
        var bytes = Pcm16.ToBytes([0f, 1f, -1f, 0.5f, 2f, -2f, 1e-5f]);

        var samples = Enumerable.Range(0, bytes.Length / 2).Select(i => BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(i * 2))).ToArray();
        Assert.Equal(new short[] { 0, 32767, -32767, 16384, 32767, -32767, 0 }, samples);
    }

    [Fact]
    public async Task WavEncode_OneSecond_SoxReadsItsRateChannelsAndLength()
    {
        var path = Path.Combine(_directory, "tone.wav");
        await File.WriteAllBytesAsync(path, WavFile.Encode(Sine(Rate, 440), Rate));

        Assert.Equal("24000", await SoxInfoAsync("-r", path));
        Assert.Equal("1", await SoxInfoAsync("-c", path));
        Assert.Equal("24000", await SoxInfoAsync("-s", path));
        Assert.Equal("16", await SoxInfoAsync("-b", path));
    }

    [Fact]
    public async Task OggOpus_OneSecond_OpusdecDecodesExactlyOneSecond()
    {
        var path = Path.Combine(_directory, "tone.opus");
        await File.WriteAllBytesAsync(path, Opus(Sine(Rate, 440)));
        var decoded = Path.Combine(_directory, "decoded.wav");

        var (info, infoOutput) = await RunAsync("opusinfo", path);
        var (exit, output) = await RunAsync("opusdec", "--quiet", "--rate", "24000", path, decoded);

        Assert.True(info == 0, infoOutput);
        Assert.Contains("Playback length: 0m:01.000s", infoOutput, StringComparison.Ordinal);
        Assert.True(exit == 0, output);
        Assert.Equal("24000", await SoxInfoAsync("-s", decoded));
    }

    [Fact]
    public void OggOpus_ManagedDecoder_RecoversTheTone()
    {
        var tone = Sine(Rate, 440);

        var decoded = DecodeOpus(Opus(tone));

        Assert.Equal(tone.Length, decoded.Length);
        var signal = tone.Sum(s => (double)s * s);
        var noise = tone.Zip(decoded, (a, b) => (double)(a - b) * (a - b)).Sum();
        Assert.True(10 * Math.Log10(signal / noise) > 10, $"SNR {10 * Math.Log10(signal / noise):F1} dB");
    }

    [Fact]
    public void OggOpus_AppendedInPieces_SameBytesAsAtOnce()
    {
        var tone = Sine(Rate / 2, 300);
        using var pieces = new MemoryStream();
        var encoder = new OggOpusEncoder(pieces, Rate);
        foreach (var piece in tone.Chunk(1234))
        {
            encoder.Append(piece);
        }
        encoder.Finish();

        Assert.Equal(Opus(tone), pieces.ToArray());
    }

    [Fact]
    public void OggPageWriter_Page_CrcOfTheOggSpecification()
    {
        // The CRC of a page is over the whole page with its CRC field zeroed; writing then re-checking must agree.
        using var output = new MemoryStream();
        new OggPageWriter(output, 7).WritePage("hello"u8, 42, first: true);
        var page = output.ToArray();

        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(22)), OggPageWriter.Crc(page));
        Assert.Equal("OggS", System.Text.Encoding.ASCII.GetString(page, 0, 4));
        Assert.Equal(2, page[5]);
    }

    private static byte[] Opus(float[] samples)
    {
        using var output = new MemoryStream();
        var encoder = new OggOpusEncoder(output, Rate);
        encoder.Append(samples);
        encoder.Finish();
        return output.ToArray();
    }

    /// <summary>Decodes an Ogg Opus stream of one packet per page with the managed decoder, trimmed as RFC 7845 says.</summary>
    private static float[] DecodeOpus(byte[] stream)
    {
        var decoder = OpusCodecFactory.CreateDecoder(Rate, 1);
        var samples = new List<float>();
        var offset = 0;
        var preSkip = 0;
        long lastGranule = 0;
        var page = 0;
        while (offset < stream.Length)
        {
            var segments = stream[offset + 26];
            var length = Enumerable.Range(0, segments).Sum(i => stream[offset + 27 + i]);
            var packet = stream.AsSpan(offset + 27 + segments, length);
            lastGranule = BinaryPrimitives.ReadInt64LittleEndian(stream.AsSpan(offset + 6));
            if (page == 0)
            {
                preSkip = BinaryPrimitives.ReadUInt16LittleEndian(packet[10..]) / 2;
            }
            else if (page > 1)
            {
                var pcm = new float[Rate / 50];
                var decodedSamples = decoder.Decode(packet, pcm, pcm.Length, false);
                samples.AddRange(pcm.Take(decodedSamples));
            }
            offset += 27 + segments + length;
            page++;
        }
        var total = (int)(lastGranule / 2) - preSkip;
        return [.. samples.Skip(preSkip).Take(total)];
    }

    private static float[] Sine(int samples, double hertz) =>
        [.. Enumerable.Range(0, samples).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * hertz * i / Rate)))];
}
