using System.Buffers.Binary;
using System.Text;
using Concentus;
using Concentus.Enums;

namespace Omni.Common.Audio;

/// <summary>
/// Encodes mono float samples as an Ogg Opus stream (RFC 7845) with Concentus' managed Opus encoder, 20 ms frames,
/// appending as samples arrive: the OpusHead and OpusTags pages first, then one page per frame; <see cref="Finish"/>
/// pads the last frame and marks the end, whose granule position tells a decoder the true length. Always the managed
/// codec (never a native libopus a machine may have), so the same samples give the same bytes on every machine.
/// </summary>
public sealed class OggOpusEncoder
{
    private const int OpusRate = 48000;
    private readonly IOpusEncoder _encoder;
    private readonly OggPageWriter _pages;
    private readonly int _sampleRate;
    private readonly int _frameSamples;
    private readonly int _preSkip;
    private readonly List<short> _pending = [];
    private readonly byte[] _packet = new byte[4000];
    private long _encodedSamples;
    private long _inputSamples;
    private bool _finished;

    /// <param name="output">Where the stream goes.</param>
    /// <param name="sampleRate">8, 12, 16, 24 or 48 kHz (Opus' rates).</param>
    /// <param name="bitrate">Bits per second, 6 to 510 kb/s.</param>
    /// <param name="serial">The Ogg stream's serial number (fixed for reproducible bytes).</param>
    public OggOpusEncoder(Stream output, int sampleRate, int bitrate = 32000, uint serial = 0x4F6D6E69)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (sampleRate is not (8000 or 12000 or 16000 or 24000 or 48000))
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "Opus takes 8, 12, 16, 24 or 48 kHz.");
        }
        OpusCodecFactory.AttemptToUseNativeLibrary = false;
        _encoder = OpusCodecFactory.CreateEncoder(sampleRate, 1, OpusApplication.OPUS_APPLICATION_AUDIO);
        _encoder.Bitrate = bitrate;
        _pages = new OggPageWriter(output, serial);
        _sampleRate = sampleRate;
        _frameSamples = sampleRate / 50;
        _preSkip = _encoder.Lookahead * (OpusRate / sampleRate);
        _pages.WritePage(OpusHead(sampleRate, _preSkip), 0, first: true);
        _pages.WritePage(OpusTags(), 0);
    }

    /// <summary>Encodes every whole 20 ms frame the samples so far make.</summary>
    public void Append(ReadOnlySpan<float> samples)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _inputSamples += samples.Length;
        _pending.AddRange(Pcm16.ToSamples(samples));
        while (_pending.Count >= _frameSamples)
        {
            EncodeFrame(last: false);
        }
    }

    /// <summary>Encodes what is left (zero-padded to a frame, and the encoder's lookahead flushed) and ends the stream.</summary>
    public void Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        // The decoder drops pre_skip samples first, so the encoder must see that many more zeros after the input.
        var needed = _inputSamples + _preSkip / (OpusRate / _sampleRate);
        do
        {
            while (_pending.Count < _frameSamples)
            {
                _pending.Add(0);
            }
            EncodeFrame(last: _encodedSamples + _frameSamples >= needed);
        }
        while (_encodedSamples < needed);
        _finished = true;
    }

    private void EncodeFrame(bool last)
    {
        var frame = _pending.GetRange(0, _frameSamples).ToArray();
        _pending.RemoveRange(0, _frameSamples);
        var length = _encoder.Encode(frame, _frameSamples, _packet, _packet.Length);
        _encodedSamples += _frameSamples;
        // Granule positions count the 48 kHz samples decoded so far, the pre-skip's included; the last page's is the
        // input's true end (pre-skip plus the input), which tells a decoder to drop the padding after it.
        var granule = last ? _preSkip + _inputSamples * (OpusRate / _sampleRate) : _encodedSamples * (OpusRate / _sampleRate);
        _pages.WritePage(_packet.AsSpan(0, length), granule, last: last);
    }

    private static byte[] OpusHead(int sampleRate, int preSkip)
    {
        var head = new byte[19];
        "OpusHead"u8.CopyTo(head);
        head[8] = 1; // version
        head[9] = 1; // channels
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(10), (ushort)preSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), (uint)sampleRate);
        BinaryPrimitives.WriteInt16LittleEndian(head.AsSpan(16), 0); // output gain
        head[18] = 0; // mapping family: mono/stereo
        return head;
    }

    private static byte[] OpusTags()
    {
        var vendor = Encoding.UTF8.GetBytes("omni (Concentus)");
        var tags = new byte[8 + 4 + vendor.Length + 4];
        "OpusTags"u8.CopyTo(tags);
        BinaryPrimitives.WriteUInt32LittleEndian(tags.AsSpan(8), (uint)vendor.Length);
        vendor.CopyTo(tags.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(tags.AsSpan(12 + vendor.Length), 0);
        return tags;
    }
}
