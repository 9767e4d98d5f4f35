using Grpc.Core;
using Omni.Cli.Bench;
using Omni.Common.Metrics;

namespace Omni.Cli.Tests;

public sealed class MetricAgreementTests
{
    private static readonly RequestRecord[] Records =
    [
        new(0, RequestKind.Text, 0, StatusCode.OK) { E2e = 0.62, Ttft = 0.030, Queue = 0.001, CompletionTokens = 5, Stages = [new("ar", 0, 0, 0.6)] },
        new(1, RequestKind.Text, 0.1, StatusCode.OK) { E2e = 0.58, Ttft = 0.034, Queue = 0.001, CompletionTokens = 7, Stages = [new("ar", 0, 0, 0.56)] },
    ];

    private static readonly RequestRecord[] SpeechRecords =
    [
        Records[0] with { Kind = RequestKind.Speech, AudioTtfp = 1.2, AudioRtf = 0.95, AudioSeconds = 3, AudioSamples = 72000 },
        Records[1] with { Kind = RequestKind.Speech, AudioTtfp = 1.3, AudioRtf = 1.05, AudioSeconds = 3.2, AudioSamples = 76800 },
    ];

    [Fact]
    public void Compare_ServerSawTheSameRequests_EveryQuantityAgrees()
    {
        var after = Exposition(success: 2, e2eSum: 1.19, ttftSum: 0.066, stageSum: 1.15, tokens: 12);

        var agreements = MetricAgreement.Compare(MetricsSnapshot.Parse(""), MetricsSnapshot.Parse(after), Records);

        Assert.All(agreements, agreement => Assert.True(agreement.Agrees, $"{agreement.Family} {agreement.Quantity}: {agreement.Client} vs {agreement.Server}"));
        Assert.Contains(agreements, agreement => agreement.Family == MetricCatalog.GenerationTokens.Name && agreement.Server == 12);
    }

    [Fact]
    public void Compare_ServerCountedOneRequestMore_Disagreement()
    {
        var after = Exposition(success: 3, e2eSum: 1.19, ttftSum: 0.066, stageSum: 1.15, tokens: 12);

        var agreements = MetricAgreement.Compare(MetricsSnapshot.Parse(""), MetricsSnapshot.Parse(after), Records);

        Assert.Contains(agreements, agreement => agreement.Family == MetricCatalog.OmniRequestsSuccess.Name && !agreement.Agrees);
    }

    [Fact]
    public void Compare_ServerMeanOutsideTheBucketsResolution_Disagreement()
    {
        var after = Exposition(success: 2, e2eSum: 4.0, ttftSum: 0.066, stageSum: 1.15, tokens: 12);

        var agreements = MetricAgreement.Compare(MetricsSnapshot.Parse(""), MetricsSnapshot.Parse(after), Records);

        Assert.Contains(agreements, agreement => agreement.Family == MetricCatalog.OmniE2eLatency.Name && agreement.Quantity.Contains("mean") && !agreement.Agrees);
    }

    [Fact]
    public void Compare_BeforeAndAfter_UsesTheDeltas()
    {
        var before = Exposition(success: 10, e2eSum: 5, ttftSum: 0.3, stageSum: 4.9, tokens: 100, count: 10);
        var after = Exposition(success: 12, e2eSum: 6.19, ttftSum: 0.366, stageSum: 6.05, tokens: 112, count: 12);

        var agreements = MetricAgreement.Compare(MetricsSnapshot.Parse(before), MetricsSnapshot.Parse(after), Records);

        Assert.All(agreements, agreement => Assert.True(agreement.Agrees, $"{agreement.Family} {agreement.Quantity}: {agreement.Client} vs {agreement.Server}"));
    }

    [Fact]
    public void Compare_ServerSawTheSameAudio_AudioQuantitiesAgree()
    {
        var after = Exposition(success: 2, e2eSum: 1.19, ttftSum: 0.066, stageSum: 1.15, tokens: 12) + AudioExposition(frames: 148800);

        var agreements = MetricAgreement.Compare(MetricsSnapshot.Parse(""), MetricsSnapshot.Parse(after), SpeechRecords);

        Assert.All(agreements, agreement => Assert.True(agreement.Agrees, $"{agreement.Family} {agreement.Quantity}: {agreement.Client} vs {agreement.Server}"));
        Assert.Equal(
            [MetricCatalog.OmniAudioDuration.Name, MetricCatalog.OmniAudioRtf.Name, MetricCatalog.OmniAudioTtfp.Name, MetricCatalog.OmniAudioTtfp.Name,
                MetricCatalog.OmniAudioFrames.Name],
            agreements.Select(agreement => agreement.Family).Where(family => family.StartsWith("vllm:omni_audio", StringComparison.Ordinal)));
    }

    [Fact]
    public void Compare_ServerCountedOtherAudioFrames_Disagreement()
    {
        var after = Exposition(success: 2, e2eSum: 1.19, ttftSum: 0.066, stageSum: 1.15, tokens: 12) + AudioExposition(frames: 148801);

        var agreements = MetricAgreement.Compare(MetricsSnapshot.Parse(""), MetricsSnapshot.Parse(after), SpeechRecords);

        var frames = Assert.Single(agreements, agreement => agreement.Family == MetricCatalog.OmniAudioFrames.Name);
        Assert.Equal((148800.0, 148801.0, false), (frames.Client, frames.Server, frames.Agrees));
    }

    [Fact]
    public void Compare_NoAudioAnywhere_NoAudioRows()
    {
        var after = Exposition(success: 2, e2eSum: 1.19, ttftSum: 0.066, stageSum: 1.15, tokens: 12);

        var agreements = MetricAgreement.Compare(MetricsSnapshot.Parse(""), MetricsSnapshot.Parse(after), Records);

        Assert.DoesNotContain(agreements, agreement => agreement.Family.StartsWith("vllm:omni_audio", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0.6, 0.3)]
    [InlineData(0.2, 0.3)]
    [InlineData(9000, double.PositiveInfinity)]
    public void BucketWidth_Value_WidthOfTheBucketHoldingIt(double value, double width)
    {
        Assert.Equal(width, MetricAgreement.BucketWidth(MetricBuckets.Request, value), 10);
    }

    // 3 s and 3.2 s of 24 kHz audio: 148800 samples.
    private static string AudioExposition(long frames) => $$"""

        vllm:omni_audio_ttfp_seconds_count{model_name="m",stage_id="3",replica_id="0"} 2
        vllm:omni_audio_ttfp_seconds_sum{model_name="m",stage_id="3",replica_id="0"} 2.48
        vllm:omni_audio_frames_total{model_name="m",stage_id="3",replica_id="0"} {{frames}}
        vllm:omni_audio_duration_seconds_count{model_name="m",stage_id="3",replica_id="0"} 2
        vllm:omni_audio_duration_seconds_sum{model_name="m",stage_id="3",replica_id="0"} 6.2
        vllm:omni_audio_rtf_count{model_name="m",stage_id="3",replica_id="0"} 2
        vllm:omni_audio_rtf_sum{model_name="m",stage_id="3",replica_id="0"} 1.98
        """;

    private static string Exposition(int success, double e2eSum, double ttftSum, double stageSum, int tokens, int? count = null)
    {
        var n = count ?? 2;
        return $$"""
            vllm:omni_requests_success_total{model_name="m",finished_reason="length"} {{success}}
            vllm:omni_requests_success_total{model_name="m",finished_reason="abort"} 4
            vllm:omni_e2e_request_latency_seconds_count{model_name="m"} {{n}}
            vllm:omni_e2e_request_latency_seconds_sum{model_name="m"} {{e2eSum}}
            vllm:omni_text_ttfp_seconds_count{model_name="m"} {{n}}
            vllm:omni_text_ttfp_seconds_sum{model_name="m"} {{ttftSum}}
            vllm:omni_image_ttfp_seconds_count{model_name="m"} 0
            vllm:omni_images_generated_total{model_name="m"} 0
            vllm:omni_stage_gen_time_seconds_count{model_name="m",stage_id="0",replica_id="0"} {{n}}
            vllm:omni_stage_gen_time_seconds_sum{model_name="m",stage_id="0",replica_id="0"} {{stageSum}}
            vllm:omni_request_queue_time_seconds_count{model_name="m"} {{n}}
            vllm:omni_request_queue_time_seconds_sum{model_name="m"} {{n * 0.001}}
            vllm:generation_tokens_total{model_name="m",engine="0",stage_id="0",replica_id="0"} {{tokens}}
            """;
    }
}
