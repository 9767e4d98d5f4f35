using Omni.Contracts.V1;

namespace Omni.Cli.Client;

/// <summary>Everything one Generate call streamed back, gathered.</summary>
public sealed record GenerateResult(string RequestId, string Text, IReadOnlyList<int> TokenIds, int TextMessages, Image? Image, GenerateFinal Final);
