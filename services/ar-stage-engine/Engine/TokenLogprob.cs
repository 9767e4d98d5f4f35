namespace Omni.ArStage.Engine;

/// <summary>
/// The log-probability of a sampled token under the model's distribution (log-softmax of the raw logits, before
/// penalties, temperature and filtering, as vLLM reports it) and the <see cref="Top"/> most likely tokens, best first.
/// </summary>
public sealed record TokenLogprob(int TokenId, float Logprob, IReadOnlyList<TopLogprob> Top);

public readonly record struct TopLogprob(int TokenId, float Logprob);
