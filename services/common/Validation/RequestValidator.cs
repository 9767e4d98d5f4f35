using System.Globalization;
using Grpc.Core;
using Omni.Contracts.V1;
using static Omni.Common.Validation.RequestLimits;

namespace Omni.Common.Validation;

/// <summary>
/// Checks every field of a request against <see cref="RequestLimits"/>. A bad value throws an
/// <see cref="RpcException"/> with INVALID_ARGUMENT that names the field and the allowed range.
/// </summary>
public static class RequestValidator
{
    public static string ValidatePrompt(string prompt)
    {
        if (string.IsNullOrWhiteSpace(prompt))
        {
            throw Invalid("prompt", "must not be empty");
        }
        if (prompt.Length > MaxPromptCharacters)
        {
            throw Invalid("prompt", $"must be at most {MaxPromptCharacters} characters, got {prompt.Length}");
        }
        return prompt;
    }

    public static string ValidateRequestId(string requestId)
    {
        if (requestId.Length > MaxRequestIdLength)
        {
            throw Invalid("request_id", $"must be at most {MaxRequestIdLength} characters, got {requestId.Length}");
        }
        if (requestId.Any(c => c < 0x21 || c > 0x7e))
        {
            throw Invalid("request_id", "must be printable ASCII without spaces");
        }
        return requestId;
    }

    /// <summary>Which outputs the request asks for; an empty list means text only.</summary>
    public static (bool Text, bool Image, bool Audio, bool Video) ValidateOutputs(IReadOnlyCollection<Modality> outputs)
    {
        if (outputs.Count == 0)
        {
            return (true, false, false, false);
        }
        var seen = new HashSet<Modality>();
        foreach (var modality in outputs)
        {
            if (modality is not (Modality.Text or Modality.Image or Modality.Audio or Modality.Video))
            {
                throw Invalid("outputs", $"must contain only MODALITY_TEXT, MODALITY_IMAGE, MODALITY_AUDIO and MODALITY_VIDEO, got {modality}");
            }
            if (!seen.Add(modality))
            {
                throw Invalid("outputs", $"lists {modality} twice");
            }
        }
        return (seen.Contains(Modality.Text), seen.Contains(Modality.Image), seen.Contains(Modality.Audio), seen.Contains(Modality.Video));
    }

    public static ResolvedTextParameters ValidateText(TextParams? text, string field = "text")
    {
        text ??= new TextParams();
        var maxTokens = text.MaxTokens == 0 ? DefaultMaxTokens : (int)Math.Min(text.MaxTokens, int.MaxValue);
        if (maxTokens > MaxMaxTokens)
        {
            throw Invalid($"{field}.max_tokens", $"must be in [1, {MaxMaxTokens}], got {text.MaxTokens}");
        }
        var temperature = text.HasTemperature ? text.Temperature : 1f;
        if (!float.IsFinite(temperature) || temperature < 0 || temperature > MaxTemperature)
        {
            throw Invalid($"{field}.temperature", $"must be in [0, {Format(MaxTemperature)}], got {Format(temperature)}");
        }
        var topP = text.HasTopP ? text.TopP : 1f;
        if (!float.IsFinite(topP) || topP <= 0 || topP > 1)
        {
            throw Invalid($"{field}.top_p", $"must be in (0, 1], got {Format(topP)}");
        }
        var topK = text.HasTopK ? text.TopK : 0;
        if (topK < 0 || topK > MaxTopK)
        {
            throw Invalid($"{field}.top_k", $"must be in [0, {MaxTopK}] (0 disables it), got {topK}");
        }
        if (text.Stop.Count > MaxStopStrings)
        {
            throw Invalid($"{field}.stop", $"must have at most {MaxStopStrings} entries, got {text.Stop.Count}");
        }
        for (var i = 0; i < text.Stop.Count; i++)
        {
            var length = text.Stop[i].Length;
            if (length < 1 || length > MaxStopStringLength)
            {
                throw Invalid($"{field}.stop[{i}]", $"must be 1..{MaxStopStringLength} characters, got {length}");
            }
        }
        var minP = text.HasMinP ? text.MinP : 0f;
        if (!float.IsFinite(minP) || minP < 0 || minP >= 1)
        {
            throw Invalid($"{field}.min_p", $"must be in [0, 1), got {Format(minP)}");
        }
        var repetitionPenalty = text.HasRepetitionPenalty ? text.RepetitionPenalty : 1f;
        if (!float.IsFinite(repetitionPenalty) || repetitionPenalty <= 0 || repetitionPenalty > MaxRepetitionPenalty)
        {
            throw Invalid($"{field}.repetition_penalty", $"must be in (0, {Format(MaxRepetitionPenalty)}], got {Format(repetitionPenalty)}");
        }
        var presencePenalty = ValidatePenalty(text.HasPresencePenalty ? text.PresencePenalty : 0f, MaxAbsPresencePenalty, $"{field}.presence_penalty");
        var frequencyPenalty = ValidatePenalty(text.HasFrequencyPenalty ? text.FrequencyPenalty : 0f, MaxAbsFrequencyPenalty, $"{field}.frequency_penalty");
        if (text.StopTokenIds.Count > MaxStopTokenIds)
        {
            throw Invalid($"{field}.stop_token_ids", $"must have at most {MaxStopTokenIds} entries, got {text.StopTokenIds.Count}");
        }
        for (var i = 0; i < text.StopTokenIds.Count; i++)
        {
            if (text.StopTokenIds[i] < 0)
            {
                throw Invalid($"{field}.stop_token_ids[{i}]", $"must be a token id (>= 0), got {text.StopTokenIds[i]}");
            }
        }
        if (text.HasLogprobs && text.Logprobs > MaxLogprobs)
        {
            throw Invalid($"{field}.logprobs", $"must be in [0, {MaxLogprobs}], got {text.Logprobs}");
        }
        return new ResolvedTextParameters(maxTokens, temperature, topP, topK, text.HasSeed ? text.Seed : null, [.. text.Stop])
        {
            MinP = minP,
            RepetitionPenalty = repetitionPenalty,
            PresencePenalty = presencePenalty,
            FrequencyPenalty = frequencyPenalty,
            // None: the shared empty list, so unset parameters compare equal to the defaults.
            StopTokenIds = text.StopTokenIds.Count == 0 ? [] : [.. text.StopTokenIds],
            IgnoreEos = text.IgnoreEos,
            Logprobs = text.HasLogprobs ? (int)text.Logprobs : null,
        };
    }

    public static ResolvedImageParameters ValidateImage(ImageParams? image, string field = "image")
    {
        image ??= new ImageParams();
        var width = ValidateSize(image.Width, $"{field}.width");
        var height = ValidateSize(image.Height, $"{field}.height");
        var steps = ValidateSteps(image.NumInferenceSteps, $"{field}.num_inference_steps");
        var guidance = ValidateGuidance(image.HasGuidanceScale ? image.GuidanceScale : null, $"{field}.guidance_scale");
        var seed = image.HasSeed ? image.Seed : RandomSeed();
        if (image.NegativePrompt.Length > MaxPromptCharacters)
        {
            throw Invalid($"{field}.negative_prompt", $"must be at most {MaxPromptCharacters} characters, got {image.NegativePrompt.Length}");
        }
        var scheduler = ValidateScheduler(image.Scheduler, $"{field}.scheduler");
        float? shift = null;
        if (image.HasShift)
        {
            if (!float.IsFinite(image.Shift) || image.Shift <= 0 || image.Shift > MaxShift)
            {
                throw Invalid($"{field}.shift", $"must be in (0, {Format(MaxShift)}], got {Format(image.Shift)}");
            }
            shift = image.Shift;
        }
        var spacing = image.TimestepSpacing switch
        {
            TimestepSpacing.Unspecified or TimestepSpacing.Leading => TimestepSpacing.Leading,
            TimestepSpacing.Trailing => TimestepSpacing.Trailing,
            _ => throw Invalid($"{field}.timestep_spacing",
                $"must be TIMESTEP_SPACING_LEADING or TIMESTEP_SPACING_TRAILING, got {(int)image.TimestepSpacing}"),
        };
        var numImages = image.NumImages == 0 ? 1 : (int)Math.Min(image.NumImages, int.MaxValue);
        if (numImages > MaxImagesPerRequest)
        {
            throw Invalid($"{field}.num_images", $"must be in [1, {MaxImagesPerRequest}], got {image.NumImages}");
        }
        var format = image.OutputFormat switch
        {
            ImageFormat.Unspecified or ImageFormat.Png => ImageFormat.Png,
            ImageFormat.Rgb8 => ImageFormat.Rgb8,
            _ => throw Invalid($"{field}.output_format", $"must be IMAGE_FORMAT_PNG or IMAGE_FORMAT_RGB8, got {(int)image.OutputFormat}"),
        };
        return new ResolvedImageParameters(width, height, steps, guidance, seed)
        {
            NegativePrompt = image.NegativePrompt,
            Scheduler = scheduler,
            Shift = shift,
            TimestepSpacing = spacing,
            NumImages = numImages,
            OutputFormat = format,
        };
    }

    public static ResolvedAudioParameters ValidateAudio(AudioParams? audio, string field = "audio")
    {
        audio ??= new AudioParams();
        var format = audio.Format switch
        {
            AudioFormat.Unspecified or AudioFormat.PcmS16Le => AudioFormat.PcmS16Le,
            AudioFormat.Wav => AudioFormat.Wav,
            AudioFormat.Opus => AudioFormat.Opus,
            _ => throw Invalid($"{field}.format", $"must be AUDIO_FORMAT_PCM_S16LE, AUDIO_FORMAT_WAV or AUDIO_FORMAT_OPUS, got {(int)audio.Format}"),
        };
        var temperature = audio.HasTemperature ? audio.Temperature : DefaultAudioTemperature;
        if (!float.IsFinite(temperature) || temperature < 0 || temperature > MaxTemperature)
        {
            throw Invalid($"{field}.temperature", $"must be in [0, {Format(MaxTemperature)}], got {Format(temperature)}");
        }
        var topP = audio.HasTopP ? audio.TopP : 1f;
        if (!float.IsFinite(topP) || topP <= 0 || topP > 1)
        {
            throw Invalid($"{field}.top_p", $"must be in (0, 1], got {Format(topP)}");
        }
        var topK = audio.HasTopK ? audio.TopK : DefaultAudioTopK;
        if (topK < 0 || topK > MaxTopK)
        {
            throw Invalid($"{field}.top_k", $"must be in [0, {MaxTopK}] (0 disables it), got {topK}");
        }
        var repetitionPenalty = audio.HasRepetitionPenalty ? audio.RepetitionPenalty : DefaultAudioRepetitionPenalty;
        if (!float.IsFinite(repetitionPenalty) || repetitionPenalty <= 0 || repetitionPenalty > MaxRepetitionPenalty)
        {
            throw Invalid($"{field}.repetition_penalty", $"must be in (0, {Format(MaxRepetitionPenalty)}], got {Format(repetitionPenalty)}");
        }
        var maxDuration = audio.HasMaxDurationSeconds ? audio.MaxDurationSeconds : DefaultAudioMaxDurationSeconds;
        if (!float.IsFinite(maxDuration) || maxDuration <= 0 || maxDuration > MaxAudioDurationSeconds)
        {
            throw Invalid($"{field}.max_duration_seconds", $"must be in (0, {Format(MaxAudioDurationSeconds)}], got {Format(maxDuration)}");
        }
        var chunkFrames = audio.ChunkFrames == 0 ? DefaultAudioChunkFrames : (int)Math.Min(audio.ChunkFrames, int.MaxValue);
        if (chunkFrames > MaxAudioChunkFrames)
        {
            throw Invalid($"{field}.chunk_frames", $"must be in [1, {MaxAudioChunkFrames}], got {audio.ChunkFrames}");
        }
        return new ResolvedAudioParameters(format, temperature, topP, topK, repetitionPenalty, audio.HasSeed ? audio.Seed : null, maxDuration, chunkFrames);
    }

    public static ResolvedVideoParameters ValidateVideo(VideoParams? video, string field = "video")
    {
        video ??= new VideoParams();
        var width = ValidateVideoSize(video.Width, $"{field}.width");
        var height = ValidateVideoSize(video.Height, $"{field}.height");
        var frames = video.Frames == 0 ? DefaultVideoFrames : (int)Math.Min(video.Frames, int.MaxValue);
        if (frames < MinVideoFrames || frames > MaxVideoFrames)
        {
            throw Invalid($"{field}.frames", $"must be in [{MinVideoFrames}, {MaxVideoFrames}], got {video.Frames}");
        }
        var fps = video.Fps == 0 ? DefaultVideoFps : (int)Math.Min(video.Fps, int.MaxValue);
        if (fps > MaxVideoFps)
        {
            throw Invalid($"{field}.fps", $"must be in [1, {MaxVideoFps}], got {video.Fps}");
        }
        var steps = ValidateSteps(video.NumInferenceSteps, $"{field}.num_inference_steps");
        var guidance = ValidateGuidance(video.HasGuidanceScale ? video.GuidanceScale : null, $"{field}.guidance_scale");
        var seed = video.HasSeed ? video.Seed : RandomSeed();
        var scheduler = ValidateScheduler(video.Scheduler, $"{field}.scheduler");
        var format = video.Format switch
        {
            VideoFormat.Unspecified or VideoFormat.Mp4 => VideoFormat.Mp4,
            VideoFormat.Frames => VideoFormat.Frames,
            _ => throw Invalid($"{field}.format", $"must be VIDEO_FORMAT_MP4 or VIDEO_FORMAT_FRAMES, got {(int)video.Format}"),
        };
        return new ResolvedVideoParameters(width, height, frames, fps, steps, guidance, seed, scheduler, format);
    }

    public static RpcException Invalid(string field, string problem) =>
        new(new Status(StatusCode.InvalidArgument, $"{field} {problem}."));

    private static float ValidatePenalty(float value, float maxAbs, string field)
    {
        if (!float.IsFinite(value) || value < -maxAbs || value > maxAbs)
        {
            throw Invalid(field, $"must be in [{Format(-maxAbs)}, {Format(maxAbs)}], got {Format(value)}");
        }
        return value;
    }

    /// <summary>A width or height of the diffusion stages: 0 is the default, else a multiple of 16 within the bounds.</summary>
    private static int ValidateSize(uint value, string field, int defaultSize = DefaultImageSize, int min = MinImageSize, int max = MaxImageSize)
    {
        if (value == 0)
        {
            return defaultSize;
        }
        if (value < min || value > max || value % ImageSizeMultiple != 0)
        {
            throw Invalid(field, $"must be a multiple of {ImageSizeMultiple} in [{min}, {max}], got {value}");
        }
        return (int)value;
    }

    private static int ValidateVideoSize(uint value, string field) => ValidateSize(value, field, DefaultVideoSize, MinVideoSize, MaxVideoSize);

    private static int ValidateSteps(uint value, string field)
    {
        var steps = value == 0 ? DefaultInferenceSteps : (int)Math.Min(value, int.MaxValue);
        if (steps > MaxInferenceSteps)
        {
            throw Invalid(field, $"must be in [1, {MaxInferenceSteps}], got {value}");
        }
        return steps;
    }

    /// <param name="value">Null: unset (1, no guidance).</param>
    private static float ValidateGuidance(float? value, string field)
    {
        var guidance = value ?? 1f;
        if (!float.IsFinite(guidance) || guidance < MinGuidanceScale || guidance > MaxGuidanceScale)
        {
            throw Invalid(field, $"must be in [{Format(MinGuidanceScale)}, {Format(MaxGuidanceScale)}], got {Format(guidance)}");
        }
        return guidance;
    }

    private static Scheduler ValidateScheduler(Scheduler value, string field) => value switch
    {
        Scheduler.Unspecified or Scheduler.FlowMatchEuler => Scheduler.FlowMatchEuler,
        Scheduler.Ddim => Scheduler.Ddim,
        _ => throw Invalid(field, $"must be SCHEDULER_FLOW_MATCH_EULER or SCHEDULER_DDIM, got {(int)value}"),
    };

    /// <summary>A diffusion request without a seed gets a random one, which the response reports.</summary>
    private static ulong RandomSeed() => (ulong)Random.Shared.NextInt64(0, long.MaxValue);

    private static string Format(float value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
