namespace Omni.Orchestrator.Pipeline;

/// <summary>
/// One request's audio as the client receives it, against the spec's player model: a player that starts playing at
/// the first chunk and plays in real time. A chunk is late by (its arrival - the time the player reaches its first
/// sample); the underrun is the worst lateness, 0 when no chunk was late. Times are since the request's arrival.
/// </summary>
public sealed class AudioPlayback
{
    private TimeSpan? _first;
    private TimeSpan _last;
    private long _samples;
    private int _sampleRate;
    private double _worstLateSeconds;

    public bool Started => _first is not null;

    /// <summary>Samples per channel received so far.</summary>
    public long Samples => _samples;

    public int SampleRate => _sampleRate;

    /// <summary>The audio received so far, in seconds.</summary>
    public double DurationSeconds => _sampleRate == 0 ? 0 : (double)_samples / _sampleRate;

    /// <summary>Worst lateness of a chunk for the real-time player, seconds (0 if never late).</summary>
    public double UnderrunSeconds => _worstLateSeconds;

    /// <summary>Arrival to the last chunk, divided by the duration; null before any audio.</summary>
    public double? RealTimeFactor => DurationSeconds > 0 ? _last.TotalSeconds / DurationSeconds : null;

    /// <summary>Records a chunk of <paramref name="samples"/> at <paramref name="sampleRate"/> reaching the client at <paramref name="sinceArrival"/>.</summary>
    public void Add(TimeSpan sinceArrival, long samples, int sampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(samples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        if (_sampleRate != 0 && sampleRate != _sampleRate)
        {
            throw new ArgumentException($"The audio's sample rate changed from {_sampleRate} to {sampleRate} Hz.", nameof(sampleRate));
        }
        _sampleRate = sampleRate;
        _first ??= sinceArrival;
        var playsAt = _first.Value.TotalSeconds + (double)_samples / sampleRate;
        _worstLateSeconds = Math.Max(_worstLateSeconds, sinceArrival.TotalSeconds - playsAt);
        _samples += samples;
        _last = sinceArrival;
    }
}
