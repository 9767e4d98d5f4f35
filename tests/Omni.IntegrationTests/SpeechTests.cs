using Grpc.Core;
using Omni.Cli.Client;
using Omni.Contracts.V1;
using Omni.Testing;
using static Omni.Testing.AudioTools;

namespace Omni.IntegrationTests;

/// <summary>Speech end to end through real processes: thinker, talker and code2wav behind the orchestrator.</summary>
[Collection(PipelineCollection.Name)]
public sealed partial class SpeechTests(PipelineFixture fixture) : IDisposable
{
    private const int SampleRate = 24000;
    private const int SamplesPerFrame = 480;
    private static readonly HttpClient Http = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("omni-speech-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>One call to the vocoder stage as the orchestrator relays it: codes 0 in chunks of the given frames; its samples.</summary>
    private async Task<long> Code2WavAsync(AudioParams audio, int[] chunkFrames)
    {
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(fixture.Pipeline.SpeechStages[1].GrpcAddress);
        using var call = new Stage.StageClient(channel).Process(deadline: DateTime.UtcNow.AddMinutes(1));
        audio.Format = AudioFormat.PcmS16Le;
        var header = new StageRequest { RequestId = Guid.NewGuid().ToString("N"), Audio = audio, Inputs = { "codes" }, Outputs = { "audio" } };
        var writer = new Omni.Common.Payloads.StreamedTensorWriter("codes", DataType.Int32, []);
        try
        {
            await call.RequestStream.WriteAsync(new StageInput { Header = header });
            for (var i = 0; i < chunkFrames.Length; i++)
            {
                await call.RequestStream.WriteAsync(new StageInput { Chunk = writer.Next(new byte[chunkFrames[i] * sizeof(int)], i == chunkFrames.Length - 1) });
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The stage ended the call before reading everything: its status comes with the responses.
        }
        var samples = 0L;
        await foreach (var output in call.ResponseStream.ReadAllAsync())
        {
            samples += output.Audio?.Samples is { } count ? (long)count : 0;
        }
        return samples;
    }

    [Fact]
    public async Task Generate_Audio_FirstChunkReachesTheClientBeforeTheTalkerFinishes()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 4, chunkFrames: 5));

        var talker = result.Final.Stages.Single(stage => stage.Stage == "talker");
        Assert.True(result.AudioChunks.Count > 2, $"{result.AudioChunks.Count} chunks");
        // The client's clock starts before the request arrives: its first-audio time is an overestimate, and the
        // talker's end (queue + its call, on the orchestrator's clock from arrival) an underestimate of the same instant.
        Assert.True(result.FirstAudio!.Value.TotalMilliseconds < result.Final.QueueTimeMs + talker.GenTimeMs,
            $"first audio at {result.FirstAudio.Value.TotalMilliseconds:F0} ms, talker done at {result.Final.QueueTimeMs + talker.GenTimeMs:F0} ms");
    }

    [Fact]
    public async Task Code2WavProcess_CodesLongerThanMaxDuration_InvalidArgumentNamingIt()
    {
        // 0.1 s is 5 frames at 50 frames/s: a sixth frame is refused before it is decoded.
        var error = await Assert.ThrowsAsync<RpcException>(() => Code2WavAsync(new AudioParams { MaxDurationSeconds = 0.1f }, [4, 2]));

        Assert.Equal((StatusCode.InvalidArgument, "audio.max_duration_seconds"), (error.StatusCode, error.Status.Detail.Split(' ')[0]));
    }

    [Fact]
    public async Task Code2WavProcess_ChunkLargerThanATalkersLargest_InvalidArgumentNamingTheChunk()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Code2WavAsync(new AudioParams { MaxDurationSeconds = 60 }, [201]));

        Assert.Equal((StatusCode.InvalidArgument, "chunk"), (error.StatusCode, error.Status.Detail.Split(' ')[0]));
    }

    [Fact]
    public async Task Code2WavProcess_CodesWithinTheLimits_DecodedToTheirSamples()
    {
        var samples = await Code2WavAsync(new AudioParams { MaxDurationSeconds = 0.1f }, [3, 2]);

        Assert.Equal(5 * SamplesPerFrame, samples);
    }

    [Fact]
    public async Task Generate_SmallChunks_SamePcmAsTheWholeSequenceAtOnce()
    {
        var chunked = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 2, chunkFrames: 3));
        var whole = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 2, chunkFrames: 200));

        Assert.True(chunked.AudioChunks.Count > whole.AudioChunks.Count);
        Assert.Single(whole.AudioChunks);
        Assert.Equal(Pcm(whole), Pcm(chunked));
    }

    [Fact]
    public async Task Generate_TalkerPushesItsCodesDirectly_SameAudioAsRelayed()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(["--Pipeline:Stages:3:Inputs:0:Connector", "direct"], CancellationToken.None);
        using var direct = new OmniClient(orchestrator.GrpcAddress);

        var pushed = await direct.GenerateAsync(Requests.Audio(seconds: 1, chunkFrames: 5, seed: 23));
        var relayed = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 1, chunkFrames: 5, seed: 23));

        var edge = Assert.Single(pushed.Final.Transfers, transfer => transfer.ToStage == 3);
        Assert.Equal("direct", edge.Connector);
        Assert.True(edge.Chunks > 2, $"{edge.Chunks} chunks");
        Assert.True(pushed.AudioChunks.Count > 2);
        Assert.Equal(Pcm(relayed), Pcm(pushed));
    }

    [Fact]
    public async Task Generate_SameSeed_SameAudioBytes()
    {
        var first = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 1, seed: 31, format: AudioFormat.Opus));
        var second = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 1, seed: 31, format: AudioFormat.Opus));

        Assert.Equal(Pcm(first), Pcm(second));
    }

    /// <summary>
    /// Other processes (a second pipeline) give the same bytes for the same seed; and its vocoder, with room for only
    /// two queued chunks per request and six in all, serves three requests of fifty one-frame chunks each: every
    /// request waits for its own chunks instead of filling the queue.
    /// </summary>
    [Fact]
    public async Task Generate_OtherProcessesSmallVocoderQueue_SameBytesAndNoRefusal()
    {
        await using var other = await Omni.Cli.Launching.LocalPipeline.StartAsync(new Omni.Cli.Launching.LocalPipelineOptions
        {
            Device = "cpu",
            Speech = true,
            Code2WavArgs = ["--max-waiting", "6", "--max-chunks-per-request", "2"],
        }, CancellationToken.None);
        using var client = new OmniClient(other.Orchestrator.GrpcAddress);

        var here = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 1, chunkFrames: 1, seed: 29));
        var there = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.GenerateAsync(Requests.Audio(seconds: 1, chunkFrames: 1, seed: 29))));

        Assert.All(there, result => Assert.Equal(Pcm(here), Pcm(result)));
        Assert.All(there, result => Assert.True(result.AudioChunks.Count > 10, $"{result.AudioChunks.Count} chunks"));
    }

    [Fact]
    public async Task Generate_Pcm_ChunksCarryRateChannelsFormatAndConsecutiveIndexes()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 1, chunkFrames: 10));

        Assert.Equal(Enumerable.Range(0, result.AudioChunks.Count).Select(i => (uint)i), result.AudioChunks.Select(chunk => chunk.Index));
        Assert.All(result.AudioChunks, chunk =>
        {
            Assert.Equal((AudioFormat.PcmS16Le, 24000u, 1u, "audio/L16;rate=24000;channels=1"), (chunk.Format, chunk.SampleRate, chunk.Channels, chunk.MimeType));
            Assert.Equal(chunk.Samples * 2, (ulong)chunk.Data.Length);
        });
        var samples = result.AudioChunks.Sum(chunk => (long)chunk.Samples);
        Assert.Equal(samples / (double)SampleRate, result.Final.AudioDurationSeconds, 9);
        Assert.Equal(0, samples % SamplesPerFrame);
    }

    [Fact]
    public async Task Generate_Wav_SoxReadsTheRateAndLength()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 1, format: AudioFormat.Wav));
        var path = Path.Combine(_directory, "speech.wav");
        await File.WriteAllBytesAsync(path, Pcm(result));

        var chunk = Assert.Single(result.AudioChunks);
        Assert.Equal("audio/wav", chunk.MimeType);
        Assert.Equal("24000", await SoxInfoAsync("-r", path));
        Assert.Equal("1", await SoxInfoAsync("-c", path));
        Assert.Equal($"{chunk.Samples}", await SoxInfoAsync("-s", path));
        Assert.True(chunk.Samples > 0);
    }

    [Fact]
    public async Task Generate_Opus_DecodesToTheAudiosDuration()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 1, chunkFrames: 10, format: AudioFormat.Opus));
        var path = Path.Combine(_directory, "speech.opus");
        var decoded = Path.Combine(_directory, "speech.wav");
        await File.WriteAllBytesAsync(path, Pcm(result));

        var (exit, output) = await RunAsync("opusdec", "--quiet", "--rate", "24000", path, decoded);

        Assert.True(exit == 0, output);
        Assert.All(result.AudioChunks, chunk => Assert.Equal("audio/ogg", chunk.MimeType));
        Assert.Equal($"{result.AudioChunks.Sum(chunk => (long)chunk.Samples)}", await SoxInfoAsync("-s", decoded));
    }

    [Fact]
    public async Task Generate_AudioOnly_ThinkerRunsButNoTextIsStreamed()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 0.5f, maxTokens: 5));

        Assert.Equal(0, result.TextMessages);
        Assert.Equal(["ar", "talker", "code2wav"], result.Final.Stages.Select(stage => stage.Stage));
        // Usage sums the stages: the thinker's 5 tokens, then the talker's frames (and its end-of-speech code if it stopped early).
        var frames = result.AudioChunks.Sum(chunk => (long)chunk.Samples) / SamplesPerFrame;
        Assert.InRange(result.Final.Usage.CompletionTokens - frames, 5, 6);
        Assert.NotEmpty(result.AudioChunks);
    }

    [Fact]
    public async Task Generate_TextAndAudio_TextStreamsAndAudioFollows()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 0.5f, maxTokens: 6, text: true));

        Assert.Equal(6, result.TokenIds.Count);
        Assert.NotEmpty(result.AudioChunks);
        Assert.Equal(FinishReason.Length, result.Final.FinishReason);
    }

    [Fact]
    public async Task Generate_CancelledMidAudio_FreesTheTalkersBlocksAndTheVocoder()
    {
        var (talker, code2wav) = (fixture.Pipeline.SpeechStages[0], fixture.Pipeline.SpeechStages[1]);
        using var cancel = new CancellationTokenSource();
        var firstAudio = new TaskCompletionSource();

        var call = fixture.Client.GenerateAsync(Requests.Audio(seconds: 60, chunkFrames: 5), cancellationToken: cancel.Token,
            onAudio: _ => firstAudio.TrySetResult());
        await firstAudio.Task.WaitAsync(TimeSpan.FromSeconds(60));
        cancel.Cancel();

        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await GaugePolling.WaitForGaugeAsync(talker.MetricsAddress, "vllm:num_requests_running", 0);
        await GaugePolling.WaitForGaugeAsync(talker.MetricsAddress, "vllm:kv_cache_usage_perc", 0);
        await GaugePolling.WaitForGaugeAsync(code2wav.MetricsAddress, "vllm:num_requests_running", 0);
        await GaugePolling.WaitForGaugeAsync(code2wav.MetricsAddress, "vllm:num_requests_waiting", 0);
        var next = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 0.2f));
        Assert.NotEmpty(next.AudioChunks);
    }

    [Fact]
    public async Task Metrics_Code2WavStage_CountsEveryDecodedChunkAndFrame()
    {
        var code2wav = fixture.Pipeline.SpeechStages[1];
        var before = await Http.GetStringAsync(code2wav.MetricsAddress);

        var result = await fixture.Client.GenerateAsync(Requests.Audio(seconds: 1, chunkFrames: 10));

        var after = await Http.GetStringAsync(code2wav.MetricsAddress);
        var frames = result.AudioChunks.Sum(chunk => (long)chunk.Samples) / SamplesPerFrame;
        Assert.Equal(Exposition.Sum(before, "vllm:omni_code2wav_chunk_frames_sum") + frames, Exposition.Sum(after, "vllm:omni_code2wav_chunk_frames_sum"));
        Assert.Equal(Exposition.Sum(before, "vllm:omni_code2wav_chunk_time_ms_count") + result.AudioChunks.Count,
            Exposition.Sum(after, "vllm:omni_code2wav_chunk_time_ms_count"));
        Assert.Contains("stage_id=\"3\",replica_id=\"0\"", after);
    }

    [Fact]
    public async Task Prometheus_AfterAudioRequests_AudioFamiliesMatchWhatTheClientsReceived()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync([], CancellationToken.None);
        using var client = new OmniClient(orchestrator.GrpcAddress);
        var results = new List<GenerateResult>();
        for (var i = 0; i < 3; i++)
        {
            results.Add(await client.GenerateAsync(Requests.Audio(seconds: 0.5f + i * 0.25f, seed: (ulong)(40 + i))));
        }

        await using var prometheus = await PrometheusServer.StartAsync(new Dictionary<string, IReadOnlyList<string>>
        {
            ["orchestrator"] = [new Uri(orchestrator.MetricsAddress).Authority],
        });
        await prometheus.WaitForTargetsUpAsync(1);

        const string Speaker = "{stage_id=\"3\",replica_id=\"0\"}";
        Assert.Equal(3, await prometheus.WaitForAsync($"sum(vllm:omni_audio_ttfp_seconds_count{Speaker})", value => value >= 3));
        Assert.Equal(results.Sum(result => result.AudioChunks.Sum(chunk => (double)chunk.Samples)),
            await prometheus.ScalarAsync($"sum(vllm:omni_audio_frames_total{Speaker})"));
        Assert.Equal(results.Sum(result => result.Final.AudioDurationSeconds), await prometheus.ScalarAsync($"sum(vllm:omni_audio_duration_seconds_sum{Speaker})"), 6);
        Assert.Equal(3, await prometheus.ScalarAsync($"sum(vllm:omni_audio_rtf_count{Speaker})"));
        Assert.Equal(3, await prometheus.ScalarAsync($"sum(vllm:omni_audio_underrun_seconds_count{Speaker})"));
    }

    private static byte[] Pcm(GenerateResult result) => [.. result.AudioChunks.SelectMany(chunk => chunk.Data.ToByteArray())];
}
