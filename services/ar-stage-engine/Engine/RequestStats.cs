namespace Omni.ArStage.Engine;

/// <summary>One request as it left the engine. Intervals that did not happen (e.g. never scheduled) are null.</summary>
public sealed record RequestStats(
    FinishReason FinishReason,
    int PromptTokens,
    int GenerationTokens,
    int MaxTokens,
    TimeSpan EndToEnd,
    TimeSpan? QueueTime,
    TimeSpan? InferenceTime,
    TimeSpan? PrefillTime,
    TimeSpan? DecodeTime);
