using System.Globalization;
using System.Text.Json;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// The one table of what each OpenAI field becomes in the pipeline's <see cref="GenerateRequest"/>: the field's path in
/// the proto, the OpenAI names it is read from, and how. The converter applies it; error messages use it to name the
/// OpenAI field where validation named the proto's; tests enumerate the proto against it, so a new request field
/// fails a test until this door carries it too.
/// </summary>
public static class OpenAiFields
{
    public sealed record Mapping(string ProtoPath, string[] Params, Action<OpenAiInput, GenerateRequest> Apply);

    private static readonly Mapping RequestId = new("request_id", [OpenAiInput.RequestIdHeaderName], (input, request) =>
    {
        if (input.RequestIdHeader is { } id)
        {
            request.RequestId = id;
        }
    });

    private static readonly Mapping[] Sampling =
    [
        new("text.max_tokens", ["max_completion_tokens", "max_tokens"], (input, request) =>
            Set(input.Body.Count("max_completion_tokens") ?? input.Body.Count("max_tokens"), value => Text(request).MaxTokens = value)),
        new("text.temperature", ["temperature"], (input, request) => Set(input.Body.Float("temperature"), value => Text(request).Temperature = value)),
        new("text.top_p", ["top_p"], (input, request) => Set(input.Body.Float("top_p"), value => Text(request).TopP = value)),
        // vLLM's extension; -1 is its "off", as 0 is ours.
        new("text.top_k", ["top_k"], (input, request) => Set(input.Body.Int("top_k"), value => Text(request).TopK = value == -1 ? 0 : value)),
        new("text.seed", ["seed"], (input, request) => Set(input.Body.UInt64("seed"), value => Text(request).Seed = value)),
        new("text.stop", ["stop"], (input, request) =>
        {
            var stop = input.Body.Strings("stop");
            if (stop.Count > 0)
            {
                Text(request).Stop.AddRange(stop);
            }
        }),
        new("text.min_p", ["min_p"], (input, request) => Set(input.Body.Float("min_p"), value => Text(request).MinP = value)),
        new("text.repetition_penalty", ["repetition_penalty"], (input, request) =>
            Set(input.Body.Float("repetition_penalty"), value => Text(request).RepetitionPenalty = value)),
        new("text.presence_penalty", ["presence_penalty"], (input, request) =>
            Set(input.Body.Float("presence_penalty"), value => Text(request).PresencePenalty = value)),
        new("text.frequency_penalty", ["frequency_penalty"], (input, request) =>
            Set(input.Body.Float("frequency_penalty"), value => Text(request).FrequencyPenalty = value)),
        new("text.stop_token_ids", ["stop_token_ids"], (input, request) =>
        {
            var ids = input.Body.Ints("stop_token_ids");
            if (ids.Count > 0)
            {
                Text(request).StopTokenIds.AddRange(ids);
            }
        }),
        new("text.ignore_eos", ["ignore_eos"], (input, request) => Set(input.Body.Bool("ignore_eos"), value => Text(request).IgnoreEos = value)),
        RequestId,
    ];

    public const string AudioParam = "audio";

    /// <summary>
    /// Speech, chat only: OpenAI's <c>audio</c> object (<c>format</c>; <c>voice</c> is checked by the converter and
    /// sets nothing) with the talker's sampling as vLLM-Omni-style extensions inside it. The talker samples with its own
    /// parameters, not the text's; only <c>seed</c> falls back to the request's, so that a seeded request is
    /// reproducible in both its text and its audio.
    /// </summary>
    private static readonly Mapping[] Speech =
    [
        new("audio.format", ["audio.format"], (input, request) => Set(AudioObject(input)?.String("format"), value => Audio(request).Format = value switch
        {
            "pcm16" => AudioFormat.PcmS16Le,
            "wav" => AudioFormat.Wav,
            "opus" => AudioFormat.Opus,
            _ => throw OpenAiRequestException.Invalid("audio.format",
                $"audio.format must be 'pcm16', 'wav' or 'opus', got '{value}' (this server encodes no mp3, flac or aac)."),
        })),
        new("audio.temperature", ["audio.temperature"], (input, request) =>
            Set(AudioObject(input)?.Float("temperature"), value => Audio(request).Temperature = value)),
        new("audio.top_p", ["audio.top_p"], (input, request) => Set(AudioObject(input)?.Float("top_p"), value => Audio(request).TopP = value)),
        new("audio.top_k", ["audio.top_k"], (input, request) =>
            Set(AudioObject(input)?.Int("top_k"), value => Audio(request).TopK = value == -1 ? 0 : value)),
        new("audio.repetition_penalty", ["audio.repetition_penalty"], (input, request) =>
            Set(AudioObject(input)?.Float("repetition_penalty"), value => Audio(request).RepetitionPenalty = value)),
        new("audio.seed", ["audio.seed", "seed"], (input, request) =>
            Set(AudioObject(input)?.UInt64("seed") ?? (WantsAudio(input.Body) ? input.Body.UInt64("seed") : null), value => Audio(request).Seed = value)),
        new("audio.max_duration_seconds", ["audio.max_duration_seconds"], (input, request) =>
            Set(AudioObject(input)?.Float("max_duration_seconds"), value => Audio(request).MaxDurationSeconds = value)),
        new("audio.chunk_frames", ["audio.chunk_frames"], (input, request) =>
            Set(AudioObject(input)?.Count("chunk_frames"), value => Audio(request).ChunkFrames = value)),
    ];

    /// <summary>The keys the <c>audio</c> object may have: <c>voice</c> and those of the fields it sets.</summary>
    public static IReadOnlyList<string> AudioKeys { get; } =
        ["voice", .. Speech.SelectMany(mapping => mapping.Params).Where(param => param.StartsWith(AudioParam + ".", StringComparison.Ordinal))
            .Select(param => param[(AudioParam.Length + 1)..])];

    /// <summary>Whether a chat asks for speech: <c>audio</c> among its <c>modalities</c>.</summary>
    public static bool WantsAudio(JsonBody body) => body.Strings("modalities").Contains("audio");

    private static readonly Mapping[] Chat =
    [
        new("prompt", [ChatPrompt.MessagesParam], (input, request) =>
            request.Prompt = ChatPrompt.Render(input.Body.Get(ChatPrompt.MessagesParam), input.ChatTemplate)),
        // A pipeline without speech stages refuses audio when it plans the request, naming modalities.
        new("outputs", ["modalities"], (input, request) =>
        {
            foreach (var (modality, i) in input.Body.Strings("modalities").Select((modality, i) => (modality, i)))
            {
                var output = modality switch
                {
                    "text" => Modality.Text,
                    "audio" => Modality.Audio,
                    _ => throw OpenAiRequestException.Invalid($"modalities[{i}]",
                        $"modalities[{i}] must be 'text' or 'audio', got '{modality}' (images come from /v1/images/generations)."),
                };
                if (!request.Outputs.Contains(output))
                {
                    request.Outputs.Add(output);
                }
            }
            if (request.Outputs.Count == 0)
            {
                request.Outputs.Add(Modality.Text);
            }
        }),
        // logprobs: true asks for the chosen token's; top_logprobs: N adds the N best alternatives.
        new("text.logprobs", ["top_logprobs", "logprobs"], (input, request) =>
        {
            var top = input.Body.UInt("top_logprobs");
            if (input.Body.Bool("logprobs") == true)
            {
                Text(request).Logprobs = top ?? 0;
            }
            else if (top is not null)
            {
                throw OpenAiRequestException.Invalid("top_logprobs", "top_logprobs needs logprobs: true.");
            }
        }),
        .. Sampling,
        .. Speech,
    ];

    private static readonly Mapping[] Completions =
    [
        new("prompt", ["prompt"], (input, request) => request.Prompt = input.Body.Get("prompt") switch
        {
            { ValueKind: JsonValueKind.String } prompt => prompt.GetString()!,
            { ValueKind: JsonValueKind.Array } prompts when prompts.GetArrayLength() == 1 && prompts[0].ValueKind == JsonValueKind.String =>
                prompts[0].GetString()!,
            null => "",
            _ => throw OpenAiRequestException.Invalid("prompt", "prompt must be a string (or an array of one string)."),
        }),
        new("outputs", [], (_, request) => request.Outputs.Add(Modality.Text)),
        new("text.logprobs", ["logprobs"], (input, request) => Set(input.Body.UInt("logprobs"), value => Text(request).Logprobs = value)),
        .. Sampling,
    ];

    private static readonly Mapping[] Images =
    [
        new("prompt", ["prompt"], (input, request) => request.Prompt = input.Body.String("prompt") ?? ""),
        new("outputs", [], (_, request) => request.Outputs.Add(Modality.Image)),
        new("image.width", ["size"], (input, request) => Set(Size(input.Body)?.Width, value => Image(request).Width = value)),
        new("image.height", ["size"], (input, request) => Set(Size(input.Body)?.Height, value => Image(request).Height = value)),
        new("image.num_images", ["n"], (input, request) => Set(input.Body.Count("n"), value => Image(request).NumImages = value)),
        new("image.num_inference_steps", ["num_inference_steps"], (input, request) =>
            Set(input.Body.Count("num_inference_steps"), value => Image(request).NumInferenceSteps = value)),
        new("image.guidance_scale", ["guidance_scale"], (input, request) =>
            Set(input.Body.Float("guidance_scale"), value => Image(request).GuidanceScale = value)),
        new("image.seed", ["seed"], (input, request) => Set(input.Body.UInt64("seed"), value => Image(request).Seed = value)),
        new("image.negative_prompt", ["negative_prompt"], (input, request) =>
            Set(input.Body.String("negative_prompt"), value => Image(request).NegativePrompt = value)),
        new("image.scheduler", ["scheduler"], (input, request) =>
            Set(input.Body.String("scheduler"), value => Image(request).Scheduler = SchedulerOf(value))),
        new("image.shift", ["shift"], (input, request) => Set(input.Body.Float("shift"), value => Image(request).Shift = value)),
        new("image.timestep_spacing", ["timestep_spacing"], (input, request) =>
            Set(input.Body.String("timestep_spacing"), value => Image(request).TimestepSpacing = value switch
            {
                "leading" => TimestepSpacing.Leading,
                "trailing" => TimestepSpacing.Trailing,
                _ => throw OpenAiRequestException.Invalid("timestep_spacing", $"timestep_spacing must be 'leading' or 'trailing', got '{value}'."),
            })),
        new("image.output_format", ["output_format"], (input, request) =>
            Set(input.Body.String("output_format"), value => Image(request).OutputFormat = value switch
            {
                "png" => ImageFormat.Png,
                "rgb8" => ImageFormat.Rgb8,
                _ => throw OpenAiRequestException.Invalid("output_format", $"output_format must be 'png' or 'rgb8', got '{value}'."),
            })),
        RequestId,
    ];

    /// <summary>
    /// vLLM-Omni's <c>POST /v1/videos/sync</c> as JSON: the clip's length is <c>num_frames</c>, or <c>seconds</c> (a
    /// string in OpenAI's videos API; a number is taken too) times <c>fps</c> (the default fps when absent).
    /// </summary>
    private static readonly Mapping[] Videos =
    [
        new("prompt", ["prompt"], (input, request) => request.Prompt = input.Body.String("prompt") ?? ""),
        new("outputs", [], (_, request) => request.Outputs.Add(Modality.Video)),
        new("video.width", ["size"], (input, request) => Set(Size(input.Body)?.Width, value => Video(request).Width = value)),
        new("video.height", ["size"], (input, request) => Set(Size(input.Body)?.Height, value => Video(request).Height = value)),
        new("video.frames", ["num_frames", "seconds"], (input, request) => Set(Frames(input.Body), value => Video(request).Frames = value)),
        new("video.fps", ["fps"], (input, request) => Set(input.Body.Count("fps"), value => Video(request).Fps = value)),
        new("video.num_inference_steps", ["num_inference_steps"], (input, request) =>
            Set(input.Body.Count("num_inference_steps"), value => Video(request).NumInferenceSteps = value)),
        new("video.guidance_scale", ["guidance_scale"], (input, request) =>
            Set(input.Body.Float("guidance_scale"), value => Video(request).GuidanceScale = value)),
        new("video.seed", ["seed"], (input, request) => Set(input.Body.UInt64("seed"), value => Video(request).Seed = value)),
        new("video.scheduler", ["scheduler"], (input, request) =>
            Set(input.Body.String("scheduler"), value => Video(request).Scheduler = SchedulerOf(value))),
        new("video.format", ["output_format"], (input, request) => Set(input.Body.String("output_format"), value => Video(request).Format = value switch
        {
            "mp4" => VideoFormat.Mp4,
            "frames" => VideoFormat.Frames,
            _ => throw OpenAiRequestException.Invalid("output_format",
                $"output_format must be 'mp4' (H.264 in fragmented MP4) or 'frames' (raw RGB8 frames), got '{value}'."),
        })),
        RequestId,
    ];

    public static IReadOnlyList<Mapping> For(OpenAiApi api) => api switch
    {
        OpenAiApi.ChatCompletions => Chat,
        OpenAiApi.Completions => Completions,
        OpenAiApi.ImageGenerations => Images,
        OpenAiApi.VideoGenerations => Videos,
        _ => throw new ArgumentOutOfRangeException(nameof(api)),
    };

    /// <summary>
    /// The OpenAI name of the field a validation message names by its proto path (<c>text.stop[2]</c> becomes
    /// <c>stop[2]</c>): the name the client used where it could use several.
    /// </summary>
    public static string? ParamFor(OpenAiApi api, string protoPath, JsonBody? body)
    {
        var bracket = protoPath.IndexOf('[', StringComparison.Ordinal);
        var (path, index) = bracket < 0 ? (protoPath, "") : (protoPath[..bracket], protoPath[bracket..]);
        var mapping = For(api).FirstOrDefault(mapping => mapping.ProtoPath == path);
        if (mapping is null || mapping.Params.Length == 0)
        {
            return null;
        }
        var name = mapping.Params.FirstOrDefault(param => body?.HasPath(param) == true) ?? mapping.Params[0];
        return name + index;
    }

    private static (uint Width, uint Height)? Size(JsonBody body)
    {
        var size = body.String("size");
        if (size is null or "auto")
        {
            return null;
        }
        var parts = size.Split('x');
        return parts.Length == 2 && uint.TryParse(parts[0], out var width) && uint.TryParse(parts[1], out var height) && width > 0 && height > 0
            ? (width, height)
            : throw OpenAiRequestException.Invalid("size", $"size must be 'WIDTHxHEIGHT' (such as '256x256') or 'auto', got '{size}'.");
    }

    private static Scheduler SchedulerOf(string value) => value switch
    {
        "flow_match_euler" => Scheduler.FlowMatchEuler,
        "ddim" => Scheduler.Ddim,
        _ => throw OpenAiRequestException.Invalid("scheduler", $"scheduler must be 'flow_match_euler' or 'ddim', got '{value}'."),
    };

    /// <summary>
    /// The clip's frames: <c>num_frames</c>, or <c>seconds</c> x <c>fps</c> (which must be a whole number of frames in the
    /// documented range, refused naming <c>seconds</c> otherwise); both may be sent only when they agree.
    /// </summary>
    private static uint? Frames(JsonBody body)
    {
        var frames = body.Count("num_frames");
        if (Seconds(body) is not { } seconds)
        {
            return frames;
        }
        var fps = body.Count("fps") ?? (uint)RequestLimits.DefaultVideoFps;
        var exact = seconds * fps;
        var whole = Math.Round(exact);
        // A decimal such as 0.1 is a hair off in binary: a millionth of a frame is not a frame.
        if (Math.Abs(exact - whole) > 1e-6)
        {
            throw OpenAiRequestException.Invalid("seconds", string.Create(CultureInfo.InvariantCulture,
                $"seconds x fps must be a whole number of frames, got {seconds} x {fps} = {exact}."));
        }
        if (whole < RequestLimits.MinVideoFrames || whole > RequestLimits.MaxVideoFrames)
        {
            throw OpenAiRequestException.Invalid("seconds", string.Create(CultureInfo.InvariantCulture,
                $"seconds x fps must be {RequestLimits.MinVideoFrames}..{RequestLimits.MaxVideoFrames} frames, got {seconds} x {fps} = {whole}."));
        }
        if (frames is { } counted && counted != whole)
        {
            throw OpenAiRequestException.Invalid("seconds", string.Create(CultureInfo.InvariantCulture,
                $"seconds ({seconds}) x fps ({fps}) is {whole} frames but num_frames is {counted}: send num_frames or seconds, or values that agree."));
        }
        return (uint)whole;
    }

    /// <summary><c>seconds</c>: a string in OpenAI's videos API (<c>"4"</c>), taken as a number too; positive and finite.</summary>
    private static double? Seconds(JsonBody body)
    {
        var seconds = body.Get("seconds") switch
        {
            null => (double?)null,
            { ValueKind: JsonValueKind.Number } value => value.GetDouble(),
            { ValueKind: JsonValueKind.String } value when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture,
                out var parsed) => parsed,
            _ => throw OpenAiRequestException.Invalid("seconds", "seconds must be a number of seconds (such as 2 or \"2\")."),
        };
        return seconds is null or (> 0 and < double.PositiveInfinity)
            ? seconds
            : throw OpenAiRequestException.Invalid("seconds", string.Create(CultureInfo.InvariantCulture, $"seconds must be positive, got {seconds}."));
    }

    private static TextParams Text(GenerateRequest request) => request.Text ??= new TextParams();

    private static ImageParams Image(GenerateRequest request) => request.Image ??= new ImageParams();

    private static AudioParams Audio(GenerateRequest request) => request.Audio ??= new AudioParams();

    private static VideoParams Video(GenerateRequest request) => request.Video ??= new VideoParams();

    private static JsonBody? AudioObject(OpenAiInput input) => input.Body.Object(AudioParam);

    private static void Set<T>(T? value, Action<T> set) where T : struct
    {
        if (value is { } present)
        {
            set(present);
        }
    }

    private static void Set(string? value, Action<string> set)
    {
        if (value is not null)
        {
            set(value);
        }
    }
}
