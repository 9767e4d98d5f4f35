using System.Buffers.Binary;

namespace Omni.Common.Audio;

/// <summary>Float samples in [-1, 1] as signed 16-bit little-endian PCM (pcm_s16le): scaled by 32767, rounded half away from zero, clamped.</summary>
public static class Pcm16
{
    public static short ToSample(float value) =>
        (short)Math.Clamp(Math.Round(value * 32767.0, MidpointRounding.AwayFromZero), short.MinValue + 1, short.MaxValue);

    public static short[] ToSamples(ReadOnlySpan<float> samples)
    {
        var result = new short[samples.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            result[i] = ToSample(samples[i]);
        }
        return result;
    }

    public static byte[] ToBytes(ReadOnlySpan<float> samples)
    {
        var bytes = new byte[samples.Length * 2];
        for (var i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), ToSample(samples[i]));
        }
        return bytes;
    }
}
