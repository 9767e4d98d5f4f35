namespace Omni.Common.Validation;

/// <summary>Documented bounds of the public API (docs/usage.md, "Request limits").</summary>
public static class RequestLimits
{
    public const int MaxPromptCharacters = 8192;
    public const int MaxPromptTokens = 2048;
    public const int MaxRequestIdLength = 128;

    public const int DefaultMaxTokens = 64;
    public const int MaxMaxTokens = 4096;
    public const float MaxTemperature = 2f;
    public const int MaxTopK = 1_000_000;
    public const int MaxStopStrings = 8;
    public const int MaxStopStringLength = 64;
    public const float MaxRepetitionPenalty = 2f;
    public const float MaxAbsPresencePenalty = 2f;
    public const float MaxAbsFrequencyPenalty = 2f;
    public const int MaxStopTokenIds = 16;
    public const int MaxLogprobs = 20;

    public const int DefaultImageSize = 256;
    public const int MinImageSize = 64;
    public const int MaxImageSize = 1024;
    public const int ImageSizeMultiple = 16;
    public const int DefaultInferenceSteps = 20;
    public const int MaxInferenceSteps = 200;
    public const float MinGuidanceScale = 1f;
    public const float MaxGuidanceScale = 20f;
    public const float MaxShift = 20f;
    public const int MaxImagesPerRequest = 4;

    public const float DefaultAudioTemperature = 0.9f;
    public const int DefaultAudioTopK = 50;
    public const float DefaultAudioRepetitionPenalty = 1.05f;
    public const float DefaultAudioMaxDurationSeconds = 20f;
    public const float MaxAudioDurationSeconds = 60f;
    public const int DefaultAudioChunkFrames = 25;
    public const int MaxAudioChunkFrames = 200;

    public const int DefaultVideoSize = 128;
    public const int MinVideoSize = 64;
    public const int MaxVideoSize = 512;
    public const int DefaultVideoFrames = 16;
    public const int MinVideoFrames = 2;
    public const int MaxVideoFrames = 48;
    public const int DefaultVideoFps = 8;
    public const int MaxVideoFps = 60;
}
