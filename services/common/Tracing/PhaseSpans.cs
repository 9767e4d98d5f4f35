using System.Diagnostics;

namespace Omni.Common.Tracing;

/// <summary>
/// A stage's phases as child spans of its call: the engine measures them (it knows nothing of tracing), the adapter
/// hands them over when the request is done. The phases ran back to back and the last ended now; what came before the
/// first, since the call was submitted to the engine, was the engine's queue.
/// </summary>
public static class PhaseSpans
{
    /// <param name="kind">The stage kind, the spans' name prefix (ar.prefill, diffusion.denoise).</param>
    /// <param name="submitted">When the request was handed to the engine (a Stopwatch timestamp).</param>
    /// <param name="phases">The phases in the order they ran, with their durations.</param>
    public static void Record(string kind, long submitted, IReadOnlyList<(string Name, TimeSpan Duration)> phases)
    {
        ArgumentNullException.ThrowIfNull(phases);
        if (!OmniTrace.Source.HasListeners() || Activity.Current is not { Recorded: true })
        {
            return;
        }
        var sinceSubmitted = Stopwatch.GetElapsedTime(submitted);
        var endedAgo = TimeSpan.Zero;
        for (var i = phases.Count - 1; i >= 0; i--)
        {
            OmniTrace.RecordInterval($"{kind}.{phases[i].Name}", phases[i].Duration, endedAgo)?.Dispose();
            endedAgo += phases[i].Duration;
        }
        var queued = sinceSubmitted - endedAgo;
        if (queued > TimeSpan.Zero)
        {
            OmniTrace.RecordInterval($"{kind}.queue", queued, endedAgo)?.Dispose();
        }
    }
}
