using Grpc.Core;
using Omni.Cli.Client;
using Omni.Contracts.V1;
using Omni.Testing;

namespace Omni.IntegrationTests;

/// <summary>Video end to end through real processes: the AR stage's states condition the video stage behind the orchestrator.</summary>
[Collection(PipelineCollection.Name)]
public sealed class VideoTests(PipelineFixture fixture) : IDisposable
{
    private const string VideoStage = "{stage_id=\"4\",replica_id=\"0\"}";
    private static readonly HttpClient Http = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("omni-video-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Generate_Mp4_FfprobeReadsH264WithTheRequestedFramesFpsAndSize()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Video(frames: 8, fps: 12, width: 96, height: 64));
        var path = await SaveAsync(result, "clip.mp4");

        var probed = await VideoTools.ProbeAsync(path);

        Assert.Equal(new ProbedVideo("h264", 96, 64, 8, "12/1", "yuv420p"), probed);
        Assert.Equal((8u, 8 / 12.0), (result.Final.VideoFrames, result.Final.VideoDurationSeconds));
        Assert.Equal(FinishReason.Stop, result.Final.FinishReason);
    }

    [Fact]
    public async Task Generate_SameSeed_SameMp4BytesAndDecodedFrames()
    {
        var first = await fixture.Client.GenerateAsync(Requests.Video(seed: 41));
        var second = await fixture.Client.GenerateAsync(Requests.Video(seed: 41));

        Assert.Equal(Bytes(first), Bytes(second));
        Assert.Equal(await VideoTools.DecodeRgbAsync(await SaveAsync(first, "first.mp4")),
            await VideoTools.DecodeRgbAsync(await SaveAsync(second, "second.mp4")));
    }

    [Fact]
    public async Task Generate_Mp4_FirstBytesReachTheClientWhileLaterFramesAreStillDecoded()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Video(frames: 16, width: 128, height: 128));

        var decode = result.Final.Stages.Single(stage => stage.Stage == "video").Timings.Single(timing => timing.Name == "postprocess").Milliseconds;
        var spread = (result.LastVideo!.Value - result.FirstVideo!.Value).TotalMilliseconds;
        Assert.True(result.VideoChunks.Count > 1, $"{result.VideoChunks.Count} chunks");
        Assert.Equal(Enumerable.Range(0, result.VideoChunks.Count).Select(i => (uint)i), result.VideoChunks.Select(chunk => chunk.Index));
        // Streamed, the first fragment leaves after the first of 16 frames is decoded and the last after the 16th: the
        // chunks arrive spread over most of the decoding. Encoded only at the end, they would arrive together.
        Assert.True(spread > decode / 3, $"chunks arrived over {spread:F0} ms of a {decode:F0} ms decode");
    }

    [Fact]
    public async Task Generate_Frames_OneRawRgb8ChunkPerFrameInOrder()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Video(frames: 6, format: VideoFormat.Frames));

        Assert.Equal(Enumerable.Range(0, 6).Select(i => (uint)i), result.VideoChunks.Select(chunk => chunk.Frame));
        Assert.All(result.VideoChunks, chunk => Assert.Equal((64 * 64 * 3, "application/x-rgb8"), (chunk.Data.Length, chunk.MimeType)));
        Assert.Equal(6, result.VideoChunks.Select(chunk => Convert.ToBase64String(chunk.Data.Span)).Distinct().Count());
    }

    [Fact]
    public async Task Generate_TwoClipsAtOnce_SameFramesAsEachAlone()
    {
        var alone = new[]
        {
            await fixture.Client.GenerateAsync(Requests.Video(seed: 51, format: VideoFormat.Frames)),
            await fixture.Client.GenerateAsync(Requests.Video(seed: 52, format: VideoFormat.Frames)),
        };

        var together = await Task.WhenAll(
            fixture.Client.GenerateAsync(Requests.Video(seed: 51, format: VideoFormat.Frames)),
            fixture.Client.GenerateAsync(Requests.Video(seed: 52, format: VideoFormat.Frames)));

        Assert.Equal(Bytes(alone[0]), Bytes(together[0]));
        Assert.Equal(Bytes(alone[1]), Bytes(together[1]));
    }

    [Fact]
    public async Task Generate_TextAndVideo_TextStreamsAndTheClipFollows()
    {
        var request = Requests.Video();
        request.Outputs.Add(Modality.Text);

        var result = await fixture.Client.GenerateAsync(request);

        Assert.Equal(4, result.TokenIds.Count);
        Assert.NotEmpty(result.VideoChunks);
        Assert.Equal(["ar", "video"], result.Final.Stages.Select(stage => stage.Stage));
    }

    [Fact]
    public async Task Generate_CancelledWhileDenoising_VideoStageIdleAgainAndServing()
    {
        var stage = fixture.Pipeline.VideoStages[0];
        using var cancel = new CancellationTokenSource();
        var call = fixture.Client.GenerateAsync(Requests.Video(frames: 16, steps: 200, width: 128, height: 128), cancellationToken: cancel.Token);
        await GaugePolling.WaitForGaugeAsync(stage.MetricsAddress, "vllm:num_requests_running", 1, TimeSpan.FromSeconds(30));
        cancel.Cancel();

        var error = await Assert.ThrowsAsync<RpcException>(() => call);

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await GaugePolling.WaitForGaugeAsync(stage.MetricsAddress, "vllm:num_requests_running", 0);
        await GaugePolling.WaitForGaugeAsync(stage.MetricsAddress, "vllm:num_requests_waiting", 0);
        var next = await fixture.Client.GenerateAsync(Requests.Video());
        Assert.NotEmpty(next.VideoChunks);
    }

    [Fact]
    public async Task Metrics_VideoStage_ExportsTheDiffusionFamiliesAsStageFour()
    {
        var stage = fixture.Pipeline.VideoStages[0];
        var before = await Http.GetStringAsync(stage.MetricsAddress);

        await fixture.Client.GenerateAsync(Requests.Video(steps: 3));

        var after = await Http.GetStringAsync(stage.MetricsAddress);
        const string Series = "vllm:omni_diffusion_postprocess_time_ms_count";
        Assert.Equal(Exposition.Sum(before, Series) + 1, Exposition.Sum(after, Series));
        Assert.Equal(Exposition.Sum(before, "vllm:omni_diffusion_step_time_ms_count") + 3, Exposition.Sum(after, "vllm:omni_diffusion_step_time_ms_count"));
        Assert.Contains("model_name=\"omni-video-dit-default\"", after);
        Assert.Contains("stage_id=\"4\",replica_id=\"0\"", after);
    }

    [Fact]
    public async Task Prometheus_AfterVideoRequests_VideoFamiliesMatchWhatTheClientsReceived()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync([], CancellationToken.None);
        using var client = new OmniClient(orchestrator.GrpcAddress);
        var results = new List<GenerateResult>();
        for (var i = 0; i < 3; i++)
        {
            results.Add(await client.GenerateAsync(Requests.Video(frames: (uint)(2 + (2 * i)), fps: 4, seed: (ulong)(60 + i))));
        }

        await using var prometheus = await PrometheusServer.StartAsync(new Dictionary<string, IReadOnlyList<string>>
        {
            ["orchestrator"] = [new Uri(orchestrator.MetricsAddress).Authority],
        });
        await prometheus.WaitForTargetsUpAsync(1);

        Assert.Equal(3, await prometheus.WaitForAsync($"sum(vllm:omni_video_ttfp_seconds_count{VideoStage})", value => value >= 3));
        Assert.Equal(2 + 4 + 6, await prometheus.ScalarAsync($"sum(vllm:omni_video_frames_total{VideoStage})"));
        Assert.Equal(results.Sum(result => result.Final.VideoDurationSeconds), await prometheus.ScalarAsync($"sum(vllm:omni_video_duration_seconds_sum{VideoStage})"), 6);
        Assert.Equal(3, await prometheus.ScalarAsync($"sum(vllm:omni_video_generation_time_seconds_count{VideoStage})"));
        var generation = results.Sum(result => result.Final.Stages.Single(stage => stage.Stage == "video").GenTimeMs) / 1000;
        Assert.Equal(generation, await prometheus.ScalarAsync($"sum(vllm:omni_video_generation_time_seconds_sum{VideoStage})"), 3);
    }

    private static byte[] Bytes(GenerateResult result) => [.. result.VideoChunks.SelectMany(chunk => chunk.Data.ToByteArray())];

    private async Task<string> SaveAsync(GenerateResult result, string name)
    {
        var path = Path.Combine(_directory, name);
        await File.WriteAllBytesAsync(path, Bytes(result));
        return path;
    }
}
