using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>
/// What a sending stage measured while handing its output on: each chunk's timings, and the whole payload's
/// duration on its clock (first write started to last write done for relay, to last acknowledgement for direct).
/// </summary>
public sealed record SentPayload(IReadOnlyList<ChunkTiming> Chunks, double DurationMs)
{
    public static SentPayload None { get; } = new([], 0);

    /// <summary>Copies the measurements into the stage's final message.</summary>
    public void WriteTo(StageFinal final)
    {
        final.SentChunks.AddRange(Chunks);
        if (Chunks.Count > 0)
        {
            final.SendDurationMs = DurationMs;
        }
    }
}
