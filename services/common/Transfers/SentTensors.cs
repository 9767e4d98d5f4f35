using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>
/// What a sending stage measured while handing its output tensors on: each chunk it wrote on its response stream for
/// the orchestrator to relay, and one report per direct target it pushed to.
/// </summary>
public sealed record SentTensors(IReadOnlyList<ChunkTiming> Relayed, IReadOnlyList<DirectSend> Direct)
{
    public static SentTensors None { get; } = new([], []);

    /// <summary>Copies the measurements into the stage's final message.</summary>
    public void WriteTo(StageFinal final)
    {
        ArgumentNullException.ThrowIfNull(final);
        final.SentChunks.AddRange(Relayed);
        final.DirectSends.AddRange(Direct);
    }
}
