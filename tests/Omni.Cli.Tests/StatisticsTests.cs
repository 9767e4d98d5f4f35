using Grpc.Core;
using Omni.Cli.Bench;

namespace Omni.Cli.Tests;

public sealed class StatisticsTests
{
    // Four speech requests of 3 s of audio and one text request; the point lasts 0 to 6 s.
    private static readonly RequestRecord[] SpeechRecords =
    [
        new(0, RequestKind.Speech, 0, StatusCode.OK) { E2e = 2, Ttft = 0.1, AudioTtfp = 1.5, AudioRtf = 1.0, AudioSeconds = 3, AudioSamples = 72000 },
        new(1, RequestKind.Speech, 1, StatusCode.OK) { E2e = 2, Ttft = 0.1, AudioTtfp = 0.5, AudioRtf = 0.5, AudioSeconds = 3, AudioSamples = 72000 },
        new(2, RequestKind.Text, 2, StatusCode.OK) { E2e = 2, Ttft = 0.1 },
        new(3, RequestKind.Speech, 3, StatusCode.OK) { E2e = 2, Ttft = 0.1, AudioTtfp = 2.0, AudioRtf = 1.25, AudioSeconds = 3, AudioSamples = 72000 },
        new(4, RequestKind.Speech, 4, StatusCode.OK) { E2e = 2, Ttft = 0.1, AudioTtfp = 1.0, AudioRtf = 0.75, AudioSeconds = 3, AudioSamples = 72000 },
    ];

    [Theory]
    [InlineData(0.5, 2.5)]
    [InlineData(0.9, 3.7)]
    [InlineData(0.0, 1.0)]
    [InlineData(1.0, 4.0)]
    public void Percentile_KnownSample_NumpysLinearInterpolation(double q, double expected)
    {
        Assert.Equal(expected, Statistics.Percentile([1, 2, 3, 4], q), 10);
    }

    [Fact]
    public void Summarize_KnownSample_MeanAndPercentiles()
    {
        var summary = Statistics.Summarize(Enumerable.Range(1, 100).Select(i => (double)i));

        Assert.Equal((100, 50.5, 50.5, 90.1, 99.01, 100.0), (summary.Count, summary.Mean, summary.P50, Math.Round(summary.P90, 6), Math.Round(summary.P99, 6), summary.Max));
    }

    [Fact]
    public void Goodput_Objectives_CountsOnlyRequestsMeetingEveryApplicableOne()
    {
        var slo = Slo.Parse("ttft=100ms,e2e=1s");
        RequestRecord[] records =
        [
            new(0, RequestKind.Text, 0, StatusCode.OK) { Ttft = 0.05, E2e = 0.5 },        // meets both
            new(1, RequestKind.Text, 1, StatusCode.OK) { Ttft = 0.2, E2e = 0.5 },         // TTFT too slow
            new(2, RequestKind.Image, 2, StatusCode.OK) { E2e = 0.9, ImageTtfp = 0.9 },   // no text: TTFT does not apply
            new(3, RequestKind.Text, 3, StatusCode.ResourceExhausted),                      // failed
        ];

        var point = PointResult.From("rate=1/s", records, slo);

        Assert.Equal(0.5, point.SloAttainment);
        Assert.Equal(2 / point.DurationSeconds, point.Goodput!.Value, 10);
    }

    [Fact]
    public void From_AudioRecords_AudioTtfpAndRtfPercentiles()
    {
        var point = PointResult.From("concurrency=1", SpeechRecords, null);

        Assert.Equal((4, 1.25, 1.25, 1.85, 1.985), (point.AudioTtfp.Count, point.AudioTtfp.Mean, point.AudioTtfp.P50, Math.Round(point.AudioTtfp.P90, 6),
            Math.Round(point.AudioTtfp.P99, 6)));
        Assert.Equal((4, 0.875, 0.875, 1.175, 1.2425), (point.AudioRtf.Count, point.AudioRtf.Mean, point.AudioRtf.P50, Math.Round(point.AudioRtf.P90, 6),
            Math.Round(point.AudioRtf.P99, 6)));
    }

    [Fact]
    public void From_AudioRecords_AudioSecondsPerWallSecond()
    {
        var point = PointResult.From("concurrency=1", SpeechRecords, null);

        Assert.Equal(6, point.DurationSeconds, 10);
        Assert.Equal(12.0 / 6, point.AudioSecondThroughput, 10);
    }

    [Fact]
    public void From_NoAudio_EmptyAudioSummariesAndZeroThroughput()
    {
        var point = PointResult.From("concurrency=1", [new(0, RequestKind.Text, 0, StatusCode.OK) { Ttft = 0.05, E2e = 0.5 }], null);

        Assert.Equal((0, 0, 0.0), (point.AudioTtfp.Count, point.AudioRtf.Count, point.AudioSecondThroughput));
    }

    [Fact]
    public void IsMetBy_AudioRtfAboveItsLimit_NotMet()
    {
        var slo = Slo.Parse("audio_ttfp=2s,audio_rtf=1");

        Assert.Equal([true, true, false, true], SpeechRecords.Where(record => record.AudioRtf is not null).Select(slo.IsMetBy));
    }

    [Fact]
    public void IsMetBy_AudioObjectivesOnATextRequest_NotApplied()
    {
        var slo = Slo.Parse("audio_ttfp=100ms,audio_rtf=0.5");

        Assert.True(slo.IsMetBy(new RequestRecord(0, RequestKind.Text, 0, StatusCode.OK) { Ttft = 0.05, E2e = 0.5 }));
    }

    [Fact]
    public void Parse_AudioRtfWithAUnit_FormatException()
    {
        Assert.Throws<FormatException>(() => Slo.Parse("audio_rtf=1s"));
    }

    [Theory]
    [InlineData("250ms", 0.25)]
    [InlineData("1.5s", 1.5)]
    [InlineData("2", 2.0)]
    public void ParseDuration_Units_Seconds(string text, double seconds)
    {
        Assert.Equal(seconds, Slo.ParseDuration(text), 10);
    }

    [Fact]
    public void Parse_UnknownObjective_FormatException()
    {
        Assert.Throws<FormatException>(() => Slo.Parse("latency=1s"));
    }
}
