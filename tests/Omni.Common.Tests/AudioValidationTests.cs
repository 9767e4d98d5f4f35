using Grpc.Core;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Common.Tests;

public sealed class AudioValidationTests
{
    public static TheoryData<string, Action<AudioParams>> BadFields => new()
    {
        { "audio.format", audio => audio.Format = (AudioFormat)7 },
        { "audio.temperature", audio => audio.Temperature = 2.5f },
        { "audio.temperature", audio => audio.Temperature = float.NaN },
        { "audio.top_p", audio => audio.TopP = 0 },
        { "audio.top_k", audio => audio.TopK = -1 },
        { "audio.repetition_penalty", audio => audio.RepetitionPenalty = 2.5f },
        { "audio.max_duration_seconds", audio => audio.MaxDurationSeconds = 0 },
        { "audio.max_duration_seconds", audio => audio.MaxDurationSeconds = 60.5f },
        { "audio.chunk_frames", audio => audio.ChunkFrames = 201 },
    };

    [Fact]
    public void ValidateAudio_Unset_AppliesTheDocumentedDefaults()
    {
        var audio = RequestValidator.ValidateAudio(null);

        Assert.Equal(new ResolvedAudioParameters(AudioFormat.PcmS16Le, 0.9f, 1f, 50, 1.05f, null, 20f, 25), audio);
    }

    [Theory]
    [MemberData(nameof(BadFields))]
    public void ValidateAudio_BadField_InvalidArgumentNamingIt(string field, Action<AudioParams> corrupt)
    {
        var audio = new AudioParams();
        corrupt(audio);

        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidateAudio(audio));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field + " ", error.Status.Detail);
    }

    [Fact]
    public void ValidateAudio_Bounds_Accepted()
    {
        var audio = RequestValidator.ValidateAudio(new AudioParams { MaxDurationSeconds = 60, ChunkFrames = 200, Temperature = 0, TopK = 0, Seed = 9 });

        Assert.Equal((60f, 200, 0f, 0, 9ul), (audio.MaxDurationSeconds, audio.ChunkFrames, audio.Temperature, audio.TopK, audio.Seed!.Value));
    }

    [Fact]
    public void ToAudioParams_RoundTrips_EveryDefaultExplicit()
    {
        var resolved = RequestValidator.ValidateAudio(new AudioParams { Format = AudioFormat.Opus, Seed = 3 });

        var again = RequestValidator.ValidateAudio(resolved.ToAudioParams());

        Assert.Equal(resolved, again);
        Assert.True(resolved.ToAudioParams().HasMaxDurationSeconds);
    }

    [Theory]
    [InlineData(1f, 50.0, 50)]
    [InlineData(0.01f, 50.0, 1)]
    [InlineData(0.5f, 12.5, 7)]
    [InlineData(60f, 50.0, 3000)]
    [InlineData(0.1f, 50.0, 5)]
    public void MaxFrames_DurationTimesFrameRate_RoundedUp(float seconds, double framesPerSecond, int expected)
    {
        var audio = RequestValidator.ValidateAudio(new AudioParams { MaxDurationSeconds = seconds });

        Assert.Equal(expected, audio.MaxFrames(framesPerSecond));
    }
}
