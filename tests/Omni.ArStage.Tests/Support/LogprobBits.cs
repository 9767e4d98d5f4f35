using Omni.ArStage.Engine;

namespace Omni.ArStage.Tests.Support;

internal static class LogprobBits
{
    /// <summary>Every token id and every logprob's bit pattern (chosen, then the alternatives), in order.</summary>
    public static long[] Of(IEnumerable<GeneratedToken> tokens) => tokens.SelectMany(token => new long[]
    {
        token.TokenId, BitConverter.SingleToInt32Bits(token.Logprob!.Logprob),
    }.Concat(token.Logprob.Top.SelectMany(top => new long[] { top.TokenId, BitConverter.SingleToInt32Bits(top.Logprob) }))).ToArray();
}
