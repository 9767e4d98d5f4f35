namespace Omni.ArStage.Engine;

/// <param name="PrefillTime">From first scheduled to the prompt run through the model (and, when generating, the first token sampled).</param>
/// <param name="DecodeTime">From the first token to the last.</param>
/// <param name="CachedPromptTokens">Prompt tokens whose keys/values came from the prefix cache.</param>
public sealed record GenerationResult(
    FinishReason FinishReason,
    int PromptTokens,
    int CompletionTokens,
    HiddenStates? HiddenStates,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime,
    int CachedPromptTokens = 0);
