using Omni.Contracts.V1;

namespace Omni.Common.Validation;

/// <summary>Text parameters after validation, with defaults applied.</summary>
public sealed record ResolvedTextParameters(int MaxTokens, float Temperature, float TopP, int TopK, ulong? Seed, IReadOnlyList<string> Stop)
{
    /// <summary>[0, 1); 0 is off.</summary>
    public float MinP { get; init; }

    /// <summary>(0, 2]; 1 is off.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>[-2, 2]; 0 is off.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>[-2, 2]; 0 is off.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Up to 16 non-negative ids (the AR stage checks them against its vocabulary).</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    public bool IgnoreEos { get; init; }

    /// <summary>Null: no logprobs; N in 0..20: the chosen token's logprob and the N best alternatives.</summary>
    public int? Logprobs { get; init; }

    /// <summary>These parameters as the proto message, every default made explicit, for the next hop.</summary>
    public TextParams ToTextParams()
    {
        var text = new TextParams
        {
            MaxTokens = (uint)MaxTokens,
            Temperature = Temperature,
            TopP = TopP,
            TopK = TopK,
            MinP = MinP,
            RepetitionPenalty = RepetitionPenalty,
            PresencePenalty = PresencePenalty,
            FrequencyPenalty = FrequencyPenalty,
            IgnoreEos = IgnoreEos,
        };
        if (Seed is { } seed)
        {
            text.Seed = seed;
        }
        if (Logprobs is { } logprobs)
        {
            text.Logprobs = (uint)logprobs;
        }
        text.Stop.AddRange(Stop);
        text.StopTokenIds.AddRange(StopTokenIds);
        return text;
    }
}

/// <summary>Image parameters after validation, with defaults applied.</summary>
public sealed record ResolvedImageParameters(int Width, int Height, int Steps, float GuidanceScale, ulong Seed)
{
    /// <summary>Empty: none (the unconditional branch of guidance uses the model's null embedding).</summary>
    public string NegativePrompt { get; init; } = "";

    /// <summary>FLOW_MATCH_EULER or DDIM (never UNSPECIFIED).</summary>
    public Scheduler Scheduler { get; init; } = Scheduler.FlowMatchEuler;

    /// <summary>Flow-matching shift; null: the diffusion model's own (its checkpoint's scheduler_shift).</summary>
    public float? Shift { get; init; }

    /// <summary>LEADING or TRAILING (never UNSPECIFIED); DDIM only.</summary>
    public TimestepSpacing TimestepSpacing { get; init; } = TimestepSpacing.Leading;

    /// <summary>1..4; image i uses Seed + i.</summary>
    public int NumImages { get; init; } = 1;

    /// <summary>PNG or RGB8 (never UNSPECIFIED).</summary>
    public ImageFormat OutputFormat { get; init; } = ImageFormat.Png;

    /// <summary>These parameters as the proto message, every default made explicit, for the next hop.</summary>
    public ImageParams ToImageParams()
    {
        var image = new ImageParams
        {
            Width = (uint)Width,
            Height = (uint)Height,
            NumInferenceSteps = (uint)Steps,
            GuidanceScale = GuidanceScale,
            Seed = Seed,
            NegativePrompt = NegativePrompt,
            Scheduler = Scheduler,
            TimestepSpacing = TimestepSpacing,
            NumImages = (uint)NumImages,
            OutputFormat = OutputFormat,
        };
        if (Shift is { } shift)
        {
            image.Shift = shift;
        }
        return image;
    }
}

/// <summary>Speech parameters after validation, with defaults applied.</summary>
/// <param name="Format">PCM_S16LE, WAV or OPUS (never UNSPECIFIED).</param>
/// <param name="Seed">Null: the talker picks a random seed.</param>
public sealed record ResolvedAudioParameters(AudioFormat Format, float Temperature, float TopP, int TopK, float RepetitionPenalty, ulong? Seed,
    float MaxDurationSeconds, int ChunkFrames)
{
    /// <summary>These parameters as the proto message, every default made explicit, for the next hop.</summary>
    public AudioParams ToAudioParams()
    {
        var audio = new AudioParams
        {
            Format = Format,
            Temperature = Temperature,
            TopP = TopP,
            TopK = TopK,
            RepetitionPenalty = RepetitionPenalty,
            MaxDurationSeconds = MaxDurationSeconds,
            ChunkFrames = (uint)ChunkFrames,
        };
        if (Seed is { } seed)
        {
            audio.Seed = seed;
        }
        return audio;
    }

    /// <summary>Codec frames that fit the maximum duration at <paramref name="framesPerSecond"/> (at least one).</summary>
    public int MaxFrames(double framesPerSecond) =>
        // A float duration such as 0.1 is a hair above its decimal value: a millionth of a frame is not a frame more.
        Math.Max(1, (int)Math.Ceiling(MaxDurationSeconds * framesPerSecond - 1e-6));
}

/// <summary>Video parameters after validation, with defaults applied.</summary>
/// <param name="Scheduler">FLOW_MATCH_EULER or DDIM (never UNSPECIFIED).</param>
/// <param name="Format">MP4 or FRAMES (never UNSPECIFIED).</param>
public sealed record ResolvedVideoParameters(int Width, int Height, int Frames, int Fps, int Steps, float GuidanceScale, ulong Seed,
    Scheduler Scheduler, VideoFormat Format)
{
    /// <summary>The clip's length: frames / fps.</summary>
    public double DurationSeconds => (double)Frames / Fps;

    /// <summary>These parameters as the proto message, every default made explicit, for the next hop.</summary>
    public VideoParams ToVideoParams() => new()
    {
        Width = (uint)Width,
        Height = (uint)Height,
        Frames = (uint)Frames,
        Fps = (uint)Fps,
        NumInferenceSteps = (uint)Steps,
        GuidanceScale = GuidanceScale,
        Seed = Seed,
        Scheduler = Scheduler,
        Format = Format,
    };
}
