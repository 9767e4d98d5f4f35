using System.Diagnostics;

namespace Omni.ArStage.Engine;

/// <summary>
/// Where the engine thread's time goes, summed over its steps, in <see cref="Stopwatch"/> ticks: scheduling; packing
/// the step's inputs (host arrays, the upload); issuing the forward pass and the sampler; waiting in device-to-host
/// copies (on a GPU, for the queued kernels to finish); and the bookkeeping after the step (tokens accepted,
/// detokenized and streamed, blocks committed, requests finished). On a GPU, a step whose time is mostly issuing is
/// bound by the host's operator calls; one whose time is mostly waiting, by the device.
/// </summary>
public sealed record StepPhases(long Schedule, long Prepare, long Issue, long Wait, long Finish)
{
    public static readonly StepPhases Zero = new(0, 0, 0, 0, 0);

    public StepPhases Minus(StepPhases other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new StepPhases(Schedule - other.Schedule, Prepare - other.Prepare, Issue - other.Issue, Wait - other.Wait, Finish - other.Finish);
    }

    /// <summary>Each phase in milliseconds per step over <paramref name="steps"/> steps.</summary>
    public (double Schedule, double Prepare, double Issue, double Wait, double Finish) MillisecondsPerStep(long steps)
    {
        var scale = 1000.0 / Stopwatch.Frequency / Math.Max(1, steps);
        return (Schedule * scale, Prepare * scale, Issue * scale, Wait * scale, Finish * scale);
    }
}
