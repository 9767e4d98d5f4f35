namespace Omni.ArStage.Engine;

/// <param name="PrefillTime">Time to run the prompt through the model (and, when generating, sample the first token).</param>
/// <param name="DecodeTime">Time spent generating the remaining tokens.</param>
public sealed record GenerationResult(
    FinishReason FinishReason,
    int PromptTokens,
    int CompletionTokens,
    HiddenStates? HiddenStates,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime);
