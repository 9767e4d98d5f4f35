using Omni.Orchestrator.Pipeline;

namespace Omni.Orchestrator.Tests;

public sealed class AudioPlaybackTests
{
    private const int Rate = 24000;

    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Add_ChunksAheadOfThePlayer_NoUnderrun()
    {
        var playback = new AudioPlayback();

        playback.Add(Seconds(0.5), Rate, Rate);       // 1 s of audio at 0.5 s
        playback.Add(Seconds(1.2), Rate, Rate);       // needed at 1.5 s, here at 1.2 s

        Assert.Equal(0, playback.UnderrunSeconds);
        Assert.Equal(2, playback.DurationSeconds);
    }

    [Fact]
    public void Add_LateChunk_UnderrunIsItsLateness()
    {
        var playback = new AudioPlayback();

        playback.Add(Seconds(1.0), Rate / 2, Rate);   // 0.5 s of audio, plays from 1.0 s to 1.5 s
        playback.Add(Seconds(1.75), Rate / 2, Rate);  // needed at 1.5 s: 0.25 s late
        playback.Add(Seconds(2.1), Rate / 2, Rate);   // needed at 2.0 s: 0.1 s late

        Assert.Equal(0.25, playback.UnderrunSeconds, 9);
    }

    [Fact]
    public void RealTimeFactor_IsArrivalToLastChunkOverDuration()
    {
        var playback = new AudioPlayback();

        playback.Add(Seconds(0.2), Rate, Rate);
        playback.Add(Seconds(1.0), 3 * Rate, Rate);

        Assert.Equal(0.25, playback.RealTimeFactor!.Value, 9);
    }

    [Fact]
    public void RealTimeFactor_BeforeAnyAudio_IsNull()
    {
        Assert.Null(new AudioPlayback().RealTimeFactor);
    }

    [Fact]
    public void Add_SampleRateChanges_Throws()
    {
        var playback = new AudioPlayback();
        playback.Add(Seconds(0.1), 100, Rate);

        Assert.Throws<ArgumentException>(() => playback.Add(Seconds(0.2), 100, 16000));
    }
}
