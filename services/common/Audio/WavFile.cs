using System.Buffers.Binary;
using System.Text;

namespace Omni.Common.Audio;

/// <summary>A RIFF/WAVE file of 16-bit PCM: the 44-byte canonical header, then the samples.</summary>
public static class WavFile
{
    public const int HeaderBytes = 44;

    /// <summary>The header of <paramref name="dataBytes"/> bytes of 16-bit PCM at <paramref name="sampleRate"/> Hz.</summary>
    public static byte[] Header(int sampleRate, int channels, long dataBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dataBytes, uint.MaxValue - 36L);
        var header = new byte[HeaderBytes];
        var span = header.AsSpan();
        Encoding.ASCII.GetBytes("RIFF", span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)(36 + dataBytes));
        Encoding.ASCII.GetBytes("WAVEfmt ", span[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(span[20..], 1); // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(span[22..], (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(span[28..], (uint)(sampleRate * channels * 2));
        BinaryPrimitives.WriteUInt16LittleEndian(span[32..], (ushort)(channels * 2));
        BinaryPrimitives.WriteUInt16LittleEndian(span[34..], 16);
        Encoding.ASCII.GetBytes("data", span[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[40..], (uint)dataBytes);
        return header;
    }

    /// <summary>A whole mono file of <paramref name="samples"/>.</summary>
    public static byte[] Encode(ReadOnlySpan<float> samples, int sampleRate)
    {
        var pcm = Pcm16.ToBytes(samples);
        return [.. Header(sampleRate, 1, pcm.Length), .. pcm];
    }
}
