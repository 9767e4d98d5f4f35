namespace Omni.ArStage.Engine;

/// <summary>One engine step.</summary>
/// <param name="ScheduledTokens">Tokens computed by the step's forward pass (prefill chunks plus one per decode).</param>
/// <param name="Sequences">Sequences in the batch.</param>
/// <param name="PromptTokens">Prompt tokens of the requests whose prompt finished its first prefill in this step.</param>
/// <param name="GenerationTokens">Tokens sampled in this step.</param>
/// <param name="Preemptions">Running sequences preempted (blocks freed, to be recomputed) to make room.</param>
/// <param name="PrefixCacheQueries">Prompt tokens looked up in the prefix cache by the requests admitted in this step.</param>
/// <param name="PrefixCacheHits">Of those, tokens found in the cache.</param>
public readonly record struct EngineStepStats(
    int ScheduledTokens,
    int Sequences,
    int PromptTokens,
    int GenerationTokens,
    int Preemptions,
    int PrefixCacheQueries,
    int PrefixCacheHits);
