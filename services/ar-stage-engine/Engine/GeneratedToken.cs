namespace Omni.ArStage.Engine;

/// <summary>
/// One sampled token and the text it releases. <see cref="TextDelta"/> is empty while text is held back (an
/// incomplete UTF-8 character, or a possible start of a stop string) and for end-of-sequence and stop tokens.
/// <see cref="Logprob"/> is set when the request asked for logprobs.
/// </summary>
public sealed record GeneratedToken(int TokenId, string TextDelta, TokenLogprob? Logprob = null);
