using Omni.Testing;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;
using Omni.Cli.Client;
using Omni.Cli.Launching;
using Omni.Contracts.V1;

namespace Omni.IntegrationTests;

/// <summary>
/// Every field of the public request, enumerated from the protobuf descriptors, shows its effect end to end through
/// the real orchestrator and stages. A new field fails <see cref="Generate_EachRequestField_TakesEffectEndToEnd"/>
/// until a check for it is added here.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ParameterPropagationTests(PipelineFixture fixture)
{
    private const string Prompt = "The quick brown fox";

    private static readonly IReadOnlyDictionary<string, Func<OmniClient, Task>> Checks = new Dictionary<string, Func<OmniClient, Task>>
    {
        ["GenerateRequest.prompt"] = PromptChangesTheText,
        ["GenerateRequest.outputs"] = OutputsChooseTheStages,
        ["GenerateRequest.request_id"] = RequestIdIsEchoed,
        ["TextParams.max_tokens"] = MaxTokensBoundsTheText,
        ["TextParams.temperature"] = TemperatureZeroIsGreedy,
        ["TextParams.top_p"] = TinyTopPIsGreedy,
        ["TextParams.top_k"] = TopKOneIsGreedy,
        ["TextParams.seed"] = SeedMakesSamplingReproducible,
        ["TextParams.stop"] = StopStringEndsTheText,
        ["TextParams.min_p"] = MinPNearOneIsGreedy,
        ["TextParams.repetition_penalty"] = client => PenaltyChangesGreedyText(client, text => text.RepetitionPenalty = 2f),
        ["TextParams.presence_penalty"] = client => PenaltyChangesGreedyText(client, text => text.PresencePenalty = 2f),
        ["TextParams.frequency_penalty"] = client => PenaltyChangesGreedyText(client, text => text.FrequencyPenalty = 2f),
        ["TextParams.stop_token_ids"] = StopTokenIdEndsTheText,
        ["TextParams.ignore_eos"] = IgnoreEosRunsPastEos,
        ["TextParams.logprobs"] = LogprobsComeBack,
        ["ImageParams.width"] = client => SizeIsHonoured(client, 96, 64),
        ["ImageParams.height"] = client => SizeIsHonoured(client, 64, 112),
        ["ImageParams.num_inference_steps"] = client => ImageDiffers(client, _ => { }, image => image.NumInferenceSteps = 4),
        ["ImageParams.guidance_scale"] = client => ImageDiffers(client, _ => { }, image => image.GuidanceScale = 4f),
        ["ImageParams.seed"] = ImageSeedIsReproducibleAndEchoed,
        ["ImageParams.negative_prompt"] = client =>
            ImageDiffers(client, image => image.GuidanceScale = 4f, image => (image.GuidanceScale, image.NegativePrompt) = (4f, "blurry")),
        ["ImageParams.scheduler"] = client => ImageDiffers(client, _ => { }, image => image.Scheduler = Scheduler.Ddim),
        ["ImageParams.shift"] = client => ImageDiffers(client, _ => { }, image => image.Shift = 4f),
        ["ImageParams.timestep_spacing"] = client => ImageDiffers(client, image => image.Scheduler = Scheduler.Ddim,
            image => (image.Scheduler, image.TimestepSpacing) = (Scheduler.Ddim, TimestepSpacing.Trailing)),
        ["ImageParams.num_images"] = NumImagesGivesSeveralImages,
        ["ImageParams.output_format"] = Rgb8IsRawPixels,
        ["AudioParams.format"] = FormatChoosesTheEncoding,
        // The built-in talker samples from a nearly flat distribution: greedy and sampled codes differ.
        ["AudioParams.temperature"] = client => AudioIsGreedy(client, audio => audio.Temperature = 0),
        ["AudioParams.top_p"] = client => AudioIsGreedy(client, audio => audio.TopP = 1e-6f),
        ["AudioParams.top_k"] = client => AudioIsGreedy(client, audio => audio.TopK = 1),
        ["AudioParams.repetition_penalty"] = RepetitionPenaltyChangesGreedyAudio,
        ["AudioParams.seed"] = AudioSeedIsReproducible,
        ["AudioParams.max_duration_seconds"] = MaxDurationBoundsTheAudio,
        ["AudioParams.chunk_frames"] = ChunkFramesSetsTheChunks,
        ["VideoParams.width"] = client => VideoSizeIsHonoured(client, 96, 64),
        ["VideoParams.height"] = client => VideoSizeIsHonoured(client, 64, 80),
        ["VideoParams.frames"] = FramesSetsTheClipLength,
        ["VideoParams.fps"] = FpsReachesTheMp4,
        ["VideoParams.num_inference_steps"] = client => VideoDiffers(client, video => video.NumInferenceSteps = 3),
        ["VideoParams.guidance_scale"] = client => VideoDiffers(client, video => video.GuidanceScale = 4f),
        ["VideoParams.seed"] = VideoSeedIsReproducibleAndEchoed,
        ["VideoParams.scheduler"] = client => VideoDiffers(client, video => video.Scheduler = Scheduler.Ddim),
        ["VideoParams.format"] = VideoFormatChoosesTheEncoding,
    };

    public static TheoryData<string> RequestFields()
    {
        var fields = new TheoryData<string>();
        void Add(MessageDescriptor message)
        {
            foreach (var field in message.Fields.InFieldNumberOrder())
            {
                if (field.FieldType == FieldType.Message)
                {
                    Add(field.MessageType);
                }
                else
                {
                    fields.Add($"{message.Name}.{field.Name}");
                }
            }
        }
        Add(GenerateRequest.Descriptor);
        return fields;
    }

    [Theory]
    [MemberData(nameof(RequestFields))]
    public async Task Generate_EachRequestField_TakesEffectEndToEnd(string field)
    {
        Assert.True(Checks.TryGetValue(field, out var check), $"{field} has no end-to-end check: add one to {nameof(ParameterPropagationTests)}.");

        await check(fixture.Client);
    }

    private static GenerateRequest Text(uint maxTokens, Action<TextParams> configure)
    {
        var request = new GenerateRequest { Prompt = Prompt, Text = new TextParams { MaxTokens = maxTokens } };
        request.Outputs.Add(Modality.Text);
        configure(request.Text);
        return request;
    }

    private static GenerateRequest Image(Action<ImageParams> configure)
    {
        var request = Requests.Image(steps: 2, seed: 21);
        configure(request.Image);
        return request;
    }

    private static Task<GenerateResult> GreedyAsync(OmniClient client, uint maxTokens = 12, Action<TextParams>? configure = null) =>
        client.GenerateAsync(Text(maxTokens, text =>
        {
            text.Temperature = 0;
            configure?.Invoke(text);
        }));

    /// <summary>Seeded sampling at temperature 1 from the built-in model's flat distribution: almost never the argmax.</summary>
    private static Task<GenerateResult> SampledAsync(OmniClient client, Action<TextParams> configure) =>
        client.GenerateAsync(Text(12, text =>
        {
            text.Seed = 3;
            text.Logprobs = 1;
            configure(text);
        }));

    private static void AssertEveryTokenIsTheArgmax(GenerateResult result)
    {
        Assert.Equal(result.TokenIds.Count, result.Logprobs.Count);
        Assert.All(result.Logprobs, logprob => Assert.Equal(logprob.Top[0].TokenId, logprob.TokenId));
    }

    private static async Task PromptChangesTheText(OmniClient client)
    {
        var first = await GreedyAsync(client);
        var other = Text(12, text => text.Temperature = 0);
        other.Prompt = "Once upon a time";
        var second = await client.GenerateAsync(other);

        Assert.NotEqual(first.TokenIds, second.TokenIds);
    }

    private static async Task OutputsChooseTheStages(OmniClient client)
    {
        var text = await client.GenerateAsync(Requests.Text(maxTokens: 2));
        var image = await client.GenerateAsync(Requests.Image(steps: 2));

        Assert.Equal(["ar"], text.Final.Stages.Select(stage => stage.Stage));
        Assert.Equal((0, 2), (text.Images.Count, text.TokenIds.Count));
        Assert.Equal(["ar", "diffusion"], image.Final.Stages.Select(stage => stage.Stage));
        Assert.Equal((1, 0), (image.Images.Count, image.TokenIds.Count));
        var audio = await client.GenerateAsync(Requests.Audio(seconds: 0.2f));
        Assert.Equal(["ar", "talker", "code2wav"], audio.Final.Stages.Select(stage => stage.Stage));
        Assert.Equal((0, 0), (audio.Images.Count, audio.TokenIds.Count));
        Assert.NotEmpty(audio.AudioChunks);
        var video = await client.GenerateAsync(Requests.Video());
        Assert.Equal(["ar", "video"], video.Final.Stages.Select(stage => stage.Stage));
        Assert.Equal((0, 0, 0), (video.Images.Count, video.TokenIds.Count, video.AudioChunks.Count));
        Assert.NotEmpty(video.VideoChunks);
    }

    /// <summary>A 4-frame 64x64 clip in 2 steps as raw frames, after <paramref name="configure"/>.</summary>
    private static async Task<GenerateResult> VideoAsync(OmniClient client, Action<VideoParams> configure)
    {
        var request = Requests.Video(format: VideoFormat.Frames, seed: 23);
        configure(request.Video);
        return await client.GenerateAsync(request);
    }

    private static byte[] VideoBytes(GenerateResult result) => [.. result.VideoChunks.SelectMany(chunk => chunk.Data.ToByteArray())];

    private static async Task VideoSizeIsHonoured(OmniClient client, uint width, uint height)
    {
        var result = await VideoAsync(client, video => (video.Width, video.Height) = (width, height));

        Assert.Equal(4, result.VideoChunks.Count);
        Assert.All(result.VideoChunks, chunk =>
        {
            Assert.Equal((width, height), (chunk.Width, chunk.Height));
            Assert.Equal((int)(width * height * 3), chunk.Data.Length);
        });
    }

    private static async Task FramesSetsTheClipLength(OmniClient client)
    {
        var result = await VideoAsync(client, video => (video.Frames, video.Fps) = (6, 3));

        Assert.Equal(Enumerable.Range(0, 6).Select(i => (uint)i), result.VideoChunks.Select(chunk => chunk.Frame));
        Assert.Equal((6u, 2.0), (result.Final.VideoFrames, result.Final.VideoDurationSeconds));
    }

    private static async Task FpsReachesTheMp4(OmniClient client)
    {
        var result = await VideoAsync(client, video => (video.Format, video.Fps) = (VideoFormat.Mp4, 12));
        var path = Path.Combine(Path.GetTempPath(), $"omni-fps-{Guid.NewGuid():N}.mp4");
        await File.WriteAllBytesAsync(path, VideoBytes(result));
        try
        {
            Assert.Equal("12/1", (await VideoTools.ProbeAsync(path)).FrameRate);
            Assert.All(result.VideoChunks, chunk => Assert.Equal(12u, chunk.Fps));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task VideoDiffers(OmniClient client, Action<VideoParams> change)
    {
        var plain = await VideoAsync(client, _ => { });
        var changed = await VideoAsync(client, change);

        Assert.Equal(plain.VideoChunks.Count, changed.VideoChunks.Count);
        Assert.NotEqual(VideoBytes(plain), VideoBytes(changed));
    }

    private static async Task VideoSeedIsReproducibleAndEchoed(OmniClient client)
    {
        var first = await VideoAsync(client, video => video.Seed = 77);
        var again = await VideoAsync(client, video => video.Seed = 77);
        var other = await VideoAsync(client, video => video.Seed = 78);

        Assert.Equal(VideoBytes(first), VideoBytes(again));
        Assert.NotEqual(VideoBytes(first), VideoBytes(other));
        Assert.All(first.VideoChunks, chunk => Assert.Equal(77ul, chunk.Seed));
    }

    private static async Task VideoFormatChoosesTheEncoding(OmniClient client)
    {
        var frames = await VideoAsync(client, _ => { });
        var mp4 = await VideoAsync(client, video => video.Format = VideoFormat.Mp4);

        Assert.All(frames.VideoChunks, chunk => Assert.Equal((VideoFormat.Frames, "application/x-rgb8"), (chunk.Format, chunk.MimeType)));
        Assert.All(mp4.VideoChunks, chunk => Assert.Equal((VideoFormat.Mp4, "video/mp4"), (chunk.Format, chunk.MimeType)));
        Assert.Equal("ftyp"u8.ToArray(), VideoBytes(mp4)[4..8]);
    }

    private static async Task RequestIdIsEchoed(OmniClient client)
    {
        var request = Requests.Text(maxTokens: 1);
        request.RequestId = "propagation-7";

        var result = await client.GenerateAsync(request);

        Assert.Equal("propagation-7", result.RequestId);
    }

    private static async Task MaxTokensBoundsTheText(OmniClient client)
    {
        var result = await client.GenerateAsync(Text(5, text => text.IgnoreEos = true));

        Assert.Equal((5, 5u, FinishReason.Length), (result.TokenIds.Count, result.Final.Usage.CompletionTokens, result.Final.FinishReason));
    }

    private static async Task TemperatureZeroIsGreedy(OmniClient client)
    {
        // No seed: were the temperature dropped, the default (1) would sample from a random seed.
        var result = await client.GenerateAsync(Text(12, text => (text.Temperature, text.Logprobs) = (0f, 1u)));

        AssertEveryTokenIsTheArgmax(result);
    }

    private static async Task TinyTopPIsGreedy(OmniClient client)
    {
        var unrestricted = await SampledAsync(client, _ => { });
        var result = await SampledAsync(client, text => text.TopP = 0.000001f);

        Assert.Contains(unrestricted.Logprobs, logprob => logprob.TokenId != logprob.Top[0].TokenId);
        AssertEveryTokenIsTheArgmax(result);
    }

    private static async Task TopKOneIsGreedy(OmniClient client)
    {
        var result = await SampledAsync(client, text => text.TopK = 1);

        AssertEveryTokenIsTheArgmax(result);
    }

    private static async Task MinPNearOneIsGreedy(OmniClient client)
    {
        var result = await SampledAsync(client, text => text.MinP = 0.9999f);

        AssertEveryTokenIsTheArgmax(result);
    }

    private static async Task SeedMakesSamplingReproducible(OmniClient client)
    {
        var first = await SampledAsync(client, text => text.Seed = 11);
        var again = await SampledAsync(client, text => text.Seed = 11);
        var other = await SampledAsync(client, text => text.Seed = 12);

        Assert.Equal(first.TokenIds, again.TokenIds);
        Assert.NotEqual(first.TokenIds, other.TokenIds);
    }

    private static async Task StopStringEndsTheText(OmniClient client)
    {
        var full = await GreedyAsync(client, configure: text => text.IgnoreEos = true);
        var stop = full.Text.Substring(full.Text.Length / 2, 3);

        var stopped = await GreedyAsync(client, configure: text => text.Stop.Add(stop));

        Assert.Equal(full.Text[..full.Text.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
        Assert.Equal(FinishReason.Stop, stopped.Final.FinishReason);
    }

    private static async Task PenaltyChangesGreedyText(OmniClient client, Action<TextParams> penalty)
    {
        var plain = await GreedyAsync(client, 24, text => text.IgnoreEos = true);
        var penalised = await GreedyAsync(client, 24, text =>
        {
            text.IgnoreEos = true;
            penalty(text);
        });

        // The penalties act on tokens already generated: the built-in model's greedy text repeats itself.
        Assert.True(plain.TokenIds.Distinct().Count() < plain.TokenIds.Count, "the unpenalised greedy text should repeat a token");
        Assert.NotEqual(plain.TokenIds, penalised.TokenIds);
    }

    private static async Task StopTokenIdEndsTheText(OmniClient client)
    {
        var full = await GreedyAsync(client);
        var stopToken = full.TokenIds[3];

        var stopped = await GreedyAsync(client, configure: text => text.StopTokenIds.Add(stopToken));

        Assert.Equal(FinishReason.Stop, stopped.Final.FinishReason);
        Assert.Equal(full.TokenIds.Take(full.TokenIds.ToList().IndexOf(stopToken) + 1), stopped.TokenIds);
    }

    /// <summary>
    /// The built-in model practically never samples its EOS, so a second pipeline serves a copy of it whose
    /// config.json declares the fourth greedy token an EOS.
    /// </summary>
    private static async Task IgnoreEosRunsPastEos(OmniClient client)
    {
        var full = await GreedyAsync(client, 8);
        var model = Path.Combine(Path.GetTempPath(), $"omni-eos-model-{Guid.NewGuid():N}");
        try
        {
            BuiltInModels.CopyArModel(model, config => config["eos_token_id"] = full.TokenIds[3]);
            await using var pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu", ArModelDirectory = model }, CancellationToken.None);
            using var eosClient = new OmniClient(pipeline.Orchestrator.GrpcAddress);

            var stopped = await GreedyAsync(eosClient, 8);
            var ignoring = await GreedyAsync(eosClient, 8, text => text.IgnoreEos = true);

            Assert.Equal(FinishReason.Stop, stopped.Final.FinishReason);
            Assert.True(stopped.TokenIds.Count <= 4);
            Assert.Equal(full.TokenIds, ignoring.TokenIds);
            Assert.Equal(FinishReason.Length, ignoring.Final.FinishReason);
        }
        finally
        {
            Directory.Delete(model, recursive: true);
        }
    }


    private static async Task LogprobsComeBack(OmniClient client)
    {
        var result = await GreedyAsync(client, 6, text => text.Logprobs = 3);

        Assert.Equal(result.TokenIds, result.Logprobs.Select(logprob => logprob.TokenId));
        Assert.All(result.Logprobs, logprob =>
        {
            Assert.Equal(3, logprob.Top.Count);
            Assert.InRange(logprob.Logprob, float.MinValue, 0f);
        });
    }

    private static async Task SizeIsHonoured(OmniClient client, uint width, uint height)
    {
        var result = await client.GenerateAsync(Image(image => (image.Width, image.Height) = (width, height)));

        Assert.Equal((width, height), (result.Image!.Width, result.Image.Height));
    }

    private static async Task ImageDiffers(OmniClient client, Action<ImageParams> baseline, Action<ImageParams> changed)
    {
        var first = await client.GenerateAsync(Image(baseline));
        var again = await client.GenerateAsync(Image(baseline));
        var second = await client.GenerateAsync(Image(changed));

        Assert.Equal(first.Image!.Data, again.Image!.Data);
        Assert.NotEqual(first.Image.Data, second.Image!.Data);
    }

    private static async Task ImageSeedIsReproducibleAndEchoed(OmniClient client)
    {
        var first = await client.GenerateAsync(Image(image => image.Seed = 77));
        var again = await client.GenerateAsync(Image(image => image.Seed = 77));
        var other = await client.GenerateAsync(Image(image => image.Seed = 78));

        Assert.Equal((77ul, 77ul), (first.Image!.Seed, again.Image!.Seed));
        Assert.Equal(first.Image.Data, again.Image.Data);
        Assert.NotEqual(first.Image.Data, other.Image!.Data);
    }

    private static async Task NumImagesGivesSeveralImages(OmniClient client)
    {
        var result = await client.GenerateAsync(Image(image => image.NumImages = 2));

        Assert.Equal([(0u, 21ul), (1u, 22ul)], result.Images.Select(image => (image.Index, image.Seed)));
        Assert.NotEqual(result.Images[0].Data, result.Images[1].Data);
    }

    private static async Task Rgb8IsRawPixels(OmniClient client)
    {
        var result = await client.GenerateAsync(Image(image => image.OutputFormat = ImageFormat.Rgb8));

        Assert.Equal(("application/x-rgb8", 64 * 64 * 3), (result.Image!.MimeType, result.Image.Data.Length));
    }

    private static async Task<byte[]> AudioAsync(OmniClient client, Action<AudioParams> configure, ulong seed = 17)
    {
        // The thinker's text keeps one seed, so that only the talker's sampling differs between calls.
        var request = Requests.Audio(seconds: 0.4f, chunkFrames: 5, seed: 17);
        request.Audio.Seed = seed;
        configure(request.Audio);
        var result = await client.GenerateAsync(request);
        return [.. result.AudioChunks.SelectMany(chunk => chunk.Data.ToByteArray())];
    }

    private static async Task FormatChoosesTheEncoding(OmniClient client)
    {
        var wav = await AudioAsync(client, audio => audio.Format = AudioFormat.Wav);
        var opus = await AudioAsync(client, audio => audio.Format = AudioFormat.Opus);
        var pcm = await AudioAsync(client, audio => audio.Format = AudioFormat.PcmS16Le);

        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(wav, 0, 4));
        Assert.Equal("OggS", System.Text.Encoding.ASCII.GetString(opus, 0, 4));
        Assert.Equal(pcm, wav[44..]);
    }

    /// <summary>The parameter makes sampling greedy: two seeds give the same audio, which greedy decoding gives too.</summary>
    private static async Task AudioIsGreedy(OmniClient client, Action<AudioParams> greedy)
    {
        var first = await AudioAsync(client, greedy, seed: 1);
        var second = await AudioAsync(client, greedy, seed: 2);
        var sampled = await AudioAsync(client, _ => { }, seed: 1);

        Assert.Equal(first, second);
        Assert.Equal(await AudioAsync(client, audio => audio.Temperature = 0), first);
        Assert.NotEqual(sampled, first);
    }

    private static async Task RepetitionPenaltyChangesGreedyAudio(OmniClient client)
    {
        var plain = await AudioAsync(client, audio => (audio.Temperature, audio.RepetitionPenalty) = (0, 1));
        var penalized = await AudioAsync(client, audio => (audio.Temperature, audio.RepetitionPenalty) = (0, 2));

        Assert.NotEqual(plain, penalized);
    }

    private static async Task AudioSeedIsReproducible(OmniClient client)
    {
        var first = await AudioAsync(client, _ => { }, seed: 5);
        var again = await AudioAsync(client, _ => { }, seed: 5);
        var other = await AudioAsync(client, _ => { }, seed: 6);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    private static async Task MaxDurationBoundsTheAudio(OmniClient client)
    {
        var request = Requests.Audio(seconds: 0.1f, seed: 3);
        request.Audio.Temperature = 0;

        var result = await client.GenerateAsync(request);

        // 0.1 s at 50 frames a second is 5 frames of 480 samples, unless the talker ended the speech sooner.
        Assert.InRange(result.AudioChunks.Sum(chunk => (long)chunk.Samples), 1, 5 * 480);
    }

    private static async Task ChunkFramesSetsTheChunks(OmniClient client)
    {
        var request = Requests.Audio(seconds: 0.4f, chunkFrames: 4, seed: 8);
        request.Audio.Temperature = 0;

        var result = await client.GenerateAsync(request);

        // 20 greedy frames in chunks of 4 frames (1920 samples) each, the vocoder's output chunk by chunk.
        Assert.All(result.AudioChunks.SkipLast(1), chunk => Assert.Equal(4u * 480, chunk.Samples));
        Assert.True(result.AudioChunks.Count >= 2);
    }
}
