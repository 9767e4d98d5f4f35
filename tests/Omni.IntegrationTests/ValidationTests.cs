using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.IntegrationTests;

[Collection(PipelineCollection.Name)]
public sealed class ValidationTests(PipelineFixture fixture)
{
    public static TheoryData<string, string> BadRequests => new()
    {
        { "empty-prompt", "prompt" },
        { "long-prompt", "prompt" },
        { "max-tokens", "text.max_tokens" },
        { "temperature", "text.temperature" },
        { "top-p", "text.top_p" },
        { "top-k", "text.top_k" },
        { "stop-count", "text.stop" },
        { "width", "image.width" },
        { "height", "image.height" },
        { "steps", "image.num_inference_steps" },
        { "guidance", "image.guidance_scale" },
        { "outputs", "outputs" },
        { "request-id", "request_id" },
        { "audio-format", "audio.format" },
        { "audio-temperature", "audio.temperature" },
        { "audio-top-p", "audio.top_p" },
        { "audio-top-k", "audio.top_k" },
        { "audio-top-k-vocabulary", "audio.top_k" },
        { "audio-repetition-penalty", "audio.repetition_penalty" },
        { "audio-max-duration", "audio.max_duration_seconds" },
        { "audio-chunk-frames", "audio.chunk_frames" },
        { "video-width", "video.width" },
        { "video-height", "video.height" },
        { "video-frames", "video.frames" },
        { "video-frames-odd", "video.frames" },
        { "video-fps", "video.fps" },
        { "video-steps", "video.num_inference_steps" },
        { "video-guidance", "video.guidance_scale" },
        { "video-scheduler", "video.scheduler" },
        { "video-format", "video.format" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Generate_BadField_InvalidArgumentNamingField(string fault, string field)
    {
        var request = fault.StartsWith("audio-", StringComparison.Ordinal) ? Requests.Audio()
            : fault.StartsWith("video-", StringComparison.Ordinal) ? Requests.Video()
            : Requests.Both();
        switch (fault)
        {
            case "empty-prompt": request.Prompt = " "; break;
            case "long-prompt": request.Prompt = new string('a', 8193); break;
            case "max-tokens": request.Text.MaxTokens = 5000; break;
            case "temperature": request.Text.Temperature = 2.5f; break;
            case "top-p": request.Text.TopP = 0; break;
            case "top-k": request.Text.TopK = -1; break;
            case "stop-count": request.Text.Stop.AddRange(Enumerable.Range(0, 9).Select(i => $"s{i}")); break;
            case "width": request.Image.Width = 100; break;
            case "height": request.Image.Height = 2048; break;
            case "steps": request.Image.NumInferenceSteps = 201; break;
            case "guidance": request.Image.GuidanceScale = 0.5f; break;
            case "outputs": request.Outputs.Add((Modality)9); break;
            case "request-id": request.RequestId = "has space"; break;
            case "audio-format": request.Audio.Format = (AudioFormat)9; break;
            case "audio-temperature": request.Audio.Temperature = -0.5f; break;
            case "audio-top-p": request.Audio.TopP = 1.5f; break;
            case "audio-top-k": request.Audio.TopK = -2; break;
            // Within the API's bound but beyond the talker's vocabulary (1025): the talker says so.
            case "audio-top-k-vocabulary": request.Audio.TopK = 5000; break;
            case "audio-repetition-penalty": request.Audio.RepetitionPenalty = 0; break;
            case "audio-max-duration": request.Audio.MaxDurationSeconds = 61; break;
            case "audio-chunk-frames": request.Audio.ChunkFrames = 201; break;
            case "video-width": request.Video.Width = 72; break;
            case "video-height": request.Video.Height = 1024; break;
            case "video-frames": request.Video.Frames = 49; break;
            // Within the API's bound, but the video model's patches are 2 frames long: the video stage says so.
            case "video-frames-odd": request.Video.Frames = 5; break;
            case "video-fps": request.Video.Fps = 61; break;
            case "video-steps": request.Video.NumInferenceSteps = 201; break;
            case "video-guidance": request.Video.GuidanceScale = 21; break;
            case "video-scheduler": request.Video.Scheduler = (Scheduler)7; break;
            case "video-format": request.Video.Format = (VideoFormat)5; break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GenerateAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field + " ", error.Status.Detail);
    }

    [Fact]
    public async Task Generate_AfterBadRequest_KeepsServing()
    {
        var bad = Requests.Text();
        bad.Text.Temperature = -1;
        await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GenerateAsync(bad));

        var good = await fixture.Client.GenerateAsync(Requests.Both());

        Assert.NotNull(good.Image);
        Assert.Equal(6u, good.Final.Usage.CompletionTokens);
    }

    [Fact]
    public async Task Generate_PromptOverTokenLimit_InvalidArgumentFromStage()
    {
        // 3000 short words: under the character limit, over the 2048-token limit the AR stage enforces.
        var request = Requests.Text(prompt: string.Join(' ', Enumerable.Repeat("go", 3000)));

        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GenerateAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("prompt", error.Status.Detail);
    }
}
