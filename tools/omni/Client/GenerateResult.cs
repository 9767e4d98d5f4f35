using Omni.Contracts.V1;

namespace Omni.Cli.Client;

/// <summary>Everything one Generate call streamed back, gathered.</summary>
public sealed record GenerateResult(string RequestId, string Text, IReadOnlyList<int> TokenIds, IReadOnlyList<TokenLogprob> Logprobs, int TextMessages,
    IReadOnlyList<Image> Images, GenerateFinal Final)
{
    /// <summary>The first image, or null when none came back.</summary>
    public Image? Image => Images.Count > 0 ? Images[0] : null;
}
