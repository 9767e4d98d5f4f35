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
        var now = DateTime.UtcNow;
        var submittedAt = now - Stopwatch.GetElapsedTime(submitted);
        var end = now;
        for (var i = phases.Count - 1; i >= 0; i--)
        {
            var start = end - phases[i].Duration;
            OmniTrace.RecordInterval($"{kind}.{phases[i].Name}", start, end)?.Dispose();
            end = start;
        }
        if (end > submittedAt)
        {
            OmniTrace.RecordInterval($"{kind}.queue", submittedAt, end)?.Dispose();
        }
    }
}
