namespace Omni.ArStage.Engine;

/// <summary>
/// What one forward pass produced for each sequence of the batch (same order): hidden rows (float32, row-major) of
/// positions from <see cref="HiddenFirstPosition"/> on, when the sequence wants them, and the sampled token (-1 when
/// the sequence did not sample in this step) with its logprobs.
/// </summary>
internal sealed record StepOutput(float[]?[] HiddenRows, int[] HiddenFirstPosition, int[] SampledTokens, TokenLogprob?[] Logprobs);
