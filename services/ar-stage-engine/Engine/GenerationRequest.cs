namespace Omni.ArStage.Engine;

/// <param name="Prompt">The prompt's text, tokenized by the engine unless <see cref="PromptTokenIds"/> is set.</param>
public sealed record GenerationRequest(string Prompt)
{
    /// <summary>The prompt as token ids (a stage adapter that tokenized the prompt once, or an upstream stage's tokens); overrides <see cref="Prompt"/>.</summary>
    public IReadOnlyList<int>? PromptTokenIds { get; init; }

    /// <summary>
    /// The prompt as input embeddings, one row per position in the model's hidden width (vLLM's prompt embeddings):
    /// they replace the token embeddings of the prompt's positions. Overrides <see cref="Prompt"/> and
    /// <see cref="PromptTokenIds"/>; such a prompt shares nothing through the prefix cache, and no repetition penalty
    /// counts it (it has no token ids).
    /// </summary>
    public PromptEmbeddings? PromptEmbeddings { get; init; }

    public int MaxTokens { get; init; } = 64;

    /// <summary>0 selects greedy decoding.</summary>
    public float Temperature { get; init; } = 1f;

    public float TopP { get; init; } = 1f;

    /// <summary>0 disables top-k filtering.</summary>
    public int TopK { get; init; }

    /// <summary>[0, 1): drops tokens whose probability is below MinP times the most likely token's; 0 disables it.</summary>
    public float MinP { get; init; }

    /// <summary>(0, 2]: logits of tokens seen in the prompt or the output are divided (positive) or multiplied (negative) by it; 1 is off.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>[-2, 2]: subtracted once from the logit of every token already generated.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>[-2, 2]: subtracted from the logit of every token already generated, once per occurrence.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Seeds the request's own random stream, so a seeded request is reproducible, batched or not; null picks a random seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Generation ends (with <see cref="FinishReason.Stop"/>) before any of these strings would be emitted.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Token ids that end generation (with <see cref="FinishReason.Stop"/>) besides end-of-sequence; they add no text.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Keep generating past end-of-sequence tokens (they then add no text).</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>Null: no logprobs. N: the chosen token's logprob and the N most likely alternatives (0..20).</summary>
    public int? Logprobs { get; init; }

    /// <summary>False: run the prompt through the model (prefill) without generating tokens, e.g. for image-only requests.</summary>
    public bool GenerateText { get; init; } = true;

    public bool ReturnHiddenStates { get; init; }

    internal bool HasPenalties => RepetitionPenalty != 1f || PresencePenalty != 0f || FrequencyPenalty != 0f;
}
