namespace Omni.ArStage.Engine;

/// <summary>One step's sampling results, one entry per sampled row; <see cref="Logprobs"/> entries are null where none were asked for.</summary>
internal sealed record SampledTokens(int[] TokenIds, TokenLogprob?[] Logprobs);
