using Google.Protobuf;
using Omni.Common.Audio;
using Omni.Contracts.V1;

namespace Omni.Code2WavStage.Encoding;

/// <summary>
/// Turns one request's samples, chunk by chunk as the vocoder makes them, into the client's format: PCM s16le chunks
/// at once; Ogg Opus pages as the encoder completes them (the end of the stream with the last chunk); a WAV file,
/// whose header needs the length, as one chunk at the end. Every chunk carries the samples it adds.
/// </summary>
public sealed class AudioStreamEncoder
{
    private readonly AudioFormat _format;
    private readonly int _sampleRate;
    private readonly MemoryStream _opusPages = new();
    private readonly OggOpusEncoder? _opus;
    private readonly List<float> _wavSamples = [];
    private long _heldSamples;
    private uint _index;

    public AudioStreamEncoder(AudioFormat format, int sampleRate)
    {
        _format = format;
        _sampleRate = sampleRate;
        _opus = format == AudioFormat.Opus ? new OggOpusEncoder(_opusPages, sampleRate) : null;
        MimeType = format switch
        {
            AudioFormat.PcmS16Le => $"audio/L16;rate={sampleRate};channels=1",
            AudioFormat.Wav => "audio/wav",
            AudioFormat.Opus => "audio/ogg",
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a resolved audio format"),
        };
    }

    public string MimeType { get; }

    /// <summary>Samples encoded so far.</summary>
    public long Samples { get; private set; }

    /// <summary>The chunk for these samples, or null when the format holds them back (WAV until the end).</summary>
    public AudioChunk? Add(ReadOnlySpan<float> samples)
    {
        Samples += samples.Length;
        switch (_format)
        {
            case AudioFormat.PcmS16Le:
                return samples.Length == 0 ? null : Chunk(Pcm16.ToBytes(samples), samples.Length);
            case AudioFormat.Opus:
                _opus!.Append(samples);
                return TakeOpusPages(samples.Length);
            default:
                _wavSamples.AddRange(samples);
                _heldSamples += samples.Length;
                return null;
        }
    }

    /// <summary>The last chunk: the rest of the Opus stream, the whole WAV file, or null for PCM (nothing is held).</summary>
    public AudioChunk? Finish()
    {
        switch (_format)
        {
            case AudioFormat.Opus:
                _opus!.Finish();
                return TakeOpusPages(0, always: true);
            case AudioFormat.Wav:
                return Chunk(WavFile.Encode(_wavSamples.ToArray(), _sampleRate), _heldSamples);
            default:
                return null;
        }
    }

    private AudioChunk? TakeOpusPages(long samples, bool always = false)
    {
        _heldSamples += samples;
        if (_opusPages.Length == 0 && !always)
        {
            return null;
        }
        var bytes = _opusPages.ToArray();
        _opusPages.SetLength(0);
        return Chunk(bytes, _heldSamples);
    }

    private AudioChunk Chunk(byte[] data, long samples)
    {
        _heldSamples = 0;
        return new AudioChunk
        {
            Data = UnsafeByteOperations.UnsafeWrap(data),
            MimeType = MimeType,
            Format = _format,
            SampleRate = (uint)_sampleRate,
            Channels = 1,
            Index = _index++,
            Samples = (ulong)samples,
        };
    }
}
