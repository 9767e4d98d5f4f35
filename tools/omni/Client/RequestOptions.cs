using System.CommandLine;
using Omni.Contracts.V1;

namespace Omni.Cli.Client;

/// <summary>The request options shared by `omni demo` and `omni generate`.</summary>
public sealed class RequestOptions
{
    public Option<string> Prompt { get; } = new("--prompt") { Description = "The prompt.", DefaultValueFactory = _ => "A lighthouse on a cliff at dawn" };
    public Option<string[]> Outputs { get; } = new("--outputs") { Description = "text, image, audio and/or video.", DefaultValueFactory = _ => ["text", "image"], AllowMultipleArgumentsPerToken = true };
    public Option<uint> MaxTokens { get; } = new("--max-tokens") { Description = "Tokens to generate (1..4096).", DefaultValueFactory = _ => 32 };
    public Option<float?> Temperature { get; } = new("--temperature") { Description = "0 for greedy (default 1)." };
    public Option<float?> TopP { get; } = new("--top-p") { Description = "Nucleus sampling (0, 1]." };
    public Option<int?> TopK { get; } = new("--top-k") { Description = "Top-k sampling (0 = off)." };
    public Option<string[]> Stop { get; } = new("--stop") { Description = "Stop strings." };
    public Option<uint> Width { get; } = new("--width") { Description = "Image width (multiple of 16, 64..1024).", DefaultValueFactory = _ => 256 };
    public Option<uint> Height { get; } = new("--height") { Description = "Image height (multiple of 16, 64..1024).", DefaultValueFactory = _ => 256 };
    public Option<uint> Steps { get; } = new("--steps") { Description = "Denoising steps (1..200).", DefaultValueFactory = _ => 20 };
    public Option<float?> GuidanceScale { get; } = new("--guidance-scale") { Description = "Classifier-free guidance (1..20)." };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Seed for text sampling, image and video noise and speech.", DefaultValueFactory = _ => 42 };
    public Option<string> Out { get; } = new("--out") { Description = "Folder for the PNG (and for omni-SEED.wav/.mp4 where no file is named).", DefaultValueFactory = _ => "." };
    public Option<string?> Audio { get; } = new("--audio")
    {
        Description = "Also ask for speech and write it to this file: .wav (streamed PCM, the header written at the end), .opus/.ogg (Ogg Opus) or .pcm (raw s16le).",
    };
    public Option<float?> AudioMaxDuration { get; } = new("--audio-max-duration") { Description = "Seconds of speech at most (0..60, default 20)." };
    public Option<uint?> ChunkFrames { get; } = new("--chunk-frames") { Description = "Codec frames per chunk the talker hands the vocoder (1..200, default 25)." };

    /// <summary>`omni generate` only: `omni demo` has the launcher's --video switch, and writes omni-SEED.mp4 into --out.</summary>
    public Option<string?> Video { get; } = new("--video")
    {
        Description = "Also ask for a video clip and write it to this file as it streams: .mp4 (H.264 MP4) or .rgb (raw RGB8 frames, one after another).",
    };
    public Option<string?> VideoSize { get; } = new("--video-size") { Description = "Video WIDTHxHEIGHT, multiples of 16 in 64..512 (default 128x128); one number for a square." };
    public Option<uint?> VideoFrames { get; } = new("--video-frames") { Description = "Video frames (2..48, even for the built-in model; default 16)." };
    public Option<uint?> VideoFps { get; } = new("--video-fps") { Description = "Frames per second of the clip (1..60, default 8)." };
    public Option<uint?> VideoSteps { get; } = new("--video-steps") { Description = "Video denoising steps (1..200, default 20)." };

    public RequestOptions()
    {
        // Usage errors at parse time, not exceptions from Build.
        Video.Validators.Add(result => Check(result, value => VideoFiles.FormatFor(value)));
        VideoSize.Validators.Add(result => Check(result, value => VideoFiles.ParseSize(value)));

        static void Check(System.CommandLine.Parsing.OptionResult result, Action<string> parse)
        {
            try
            {
                if (result.GetValueOrDefault<string?>() is { } value)
                {
                    parse(value);
                }
            }
            catch (ArgumentException error)
            {
                result.AddError(error.Message);
            }
        }
    }

    public IEnumerable<Option> All => [Prompt, Outputs, MaxTokens, Temperature, TopP, TopK, Stop, Width, Height, Steps, GuidanceScale, Seed, Out, Audio,
        AudioMaxDuration, ChunkFrames, Video, VideoSize, VideoFrames, VideoFps, VideoSteps];

    public GenerateRequest Build(ParseResult parse)
    {
        var request = new GenerateRequest
        {
            Prompt = parse.GetValue(Prompt) ?? "",
            Text = new TextParams { MaxTokens = parse.GetValue(MaxTokens) },
            Image = new ImageParams { Width = parse.GetValue(Width), Height = parse.GetValue(Height), NumInferenceSteps = parse.GetValue(Steps) },
        };
        foreach (var output in parse.GetValue(Outputs) ?? [])
        {
            request.Outputs.Add(output.ToLowerInvariant() switch
            {
                "text" => Modality.Text,
                "image" => Modality.Image,
                "audio" => Modality.Audio,
                "video" => Modality.Video,
                _ => throw new ArgumentException($"--outputs takes text, image, audio and/or video, not '{output}'."),
            });
        }
        if (parse.GetValue(Audio) is { Length: > 0 } audioFile)
        {
            if (!request.Outputs.Contains(Modality.Audio))
            {
                request.Outputs.Add(Modality.Audio);
            }
            request.Audio = new AudioParams { Format = AudioFiles.FormatFor(audioFile) };
        }
        if (request.Outputs.Contains(Modality.Audio))
        {
            request.Audio ??= new AudioParams();
            if (parse.GetValue(AudioMaxDuration) is { } duration)
            {
                request.Audio.MaxDurationSeconds = duration;
            }
            if (parse.GetValue(ChunkFrames) is { } chunkFrames)
            {
                request.Audio.ChunkFrames = chunkFrames;
            }
        }
        if (parse.GetResult(Video) is not null && parse.GetValue(Video) is { Length: > 0 } videoFile)
        {
            if (!request.Outputs.Contains(Modality.Video))
            {
                request.Outputs.Add(Modality.Video);
            }
            request.Video = new VideoParams { Format = VideoFiles.FormatFor(videoFile) };
        }
        if (request.Outputs.Contains(Modality.Video))
        {
            request.Video = VideoParameters(parse, request.Video);
        }
        if (parse.GetValue(Temperature) is { } temperature)
        {
            request.Text.Temperature = temperature;
        }
        if (parse.GetValue(TopP) is { } topP)
        {
            request.Text.TopP = topP;
        }
        if (parse.GetValue(TopK) is { } topK)
        {
            request.Text.TopK = topK;
        }
        request.Text.Stop.AddRange(parse.GetValue(Stop) ?? []);
        if (parse.GetValue(GuidanceScale) is { } guidance)
        {
            request.Image.GuidanceScale = guidance;
        }
        if (parse.GetValue(Seed) is { } seed)
        {
            request.Text.Seed = seed;
            request.Image.Seed = seed;
            if (request.Audio is not null)
            {
                request.Audio.Seed = seed;
            }
            if (request.Video is not null)
            {
                request.Video.Seed = seed;
            }
        }
        return request;
    }

    /// <summary>
    /// <paramref name="defaults"/> (a copy; server defaults when null) with the --video-* options given on the command line
    /// over it; the seed is left to <see cref="Build"/>.
    /// </summary>
    public VideoParams VideoParameters(ParseResult parse, VideoParams? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var video = defaults?.Clone() ?? new VideoParams();
        if (parse.GetValue(VideoSize) is { Length: > 0 } size)
        {
            (video.Width, video.Height) = VideoFiles.ParseSize(size);
        }
        if (parse.GetValue(VideoFrames) is { } frames)
        {
            video.Frames = frames;
        }
        if (parse.GetValue(VideoFps) is { } fps)
        {
            video.Fps = fps;
        }
        if (parse.GetValue(VideoSteps) is { } steps)
        {
            video.NumInferenceSteps = steps;
        }
        return video;
    }
}
