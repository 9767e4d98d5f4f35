namespace Omni.DiffusionStage.Scheduling;

/// <summary>
/// diffusers' FlowMatchEulerDiscreteScheduler without dynamic shifting, Karras sigmas or stochastic sampling.
/// Schedules are computed in double.
/// </summary>
public sealed class FlowMatchEulerScheduler : IScheduler
{
    public FlowMatchEulerScheduler(int numTrainTimesteps = 1000, double shift = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numTrainTimesteps, 1);
        if (!double.IsFinite(shift) || shift <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(shift), shift, "The shift must be positive.");
        }

        NumTrainTimesteps = numTrainTimesteps;
        Shift = shift;

        // __init__: training sigmas t/N for t = N..1, shifted; set_timesteps spans their extremes.
        SigmaMax = ApplyShift(1.0);
        SigmaMin = ApplyShift(1.0 / numTrainTimesteps);
    }

    public int NumTrainTimesteps { get; }

    public double Shift { get; }

    public double SigmaMax { get; }

    public double SigmaMin { get; }

    public IDiffusionSchedule SetTimesteps(int numInferenceSteps) => CreateSchedule(numInferenceSteps);

    public FlowMatchEulerSchedule CreateSchedule(int numInferenceSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numInferenceSteps, 1);

        var start = SigmaMax * NumTrainTimesteps;
        var stop = SigmaMin * NumTrainTimesteps;
        var sigmas = new double[numInferenceSteps + 1];
        var timesteps = new double[numInferenceSteps];
        for (var i = 0; i < numInferenceSteps; i++)
        {
            // The shift is applied to the already-shifted SigmaMin/SigmaMax again, as diffusers does: with
            // shift != 1 the final sigma is shifted twice.
            var sigma = ApplyShift(Linspace(start, stop, numInferenceSteps, i) / NumTrainTimesteps);
            sigmas[i] = sigma;
            timesteps[i] = sigma * NumTrainTimesteps;
        }

        sigmas[numInferenceSteps] = 0.0;
        return new FlowMatchEulerSchedule(timesteps, sigmas);
    }

    private double ApplyShift(double sigma) => Shift * sigma / (1 + ((Shift - 1) * sigma));

    /// <summary>numpy.linspace(start, stop, count)[index].</summary>
    private static double Linspace(double start, double stop, int count, int index)
    {
        if (count == 1)
        {
            return start;
        }

        return index == count - 1 ? stop : start + (index * ((stop - start) / (count - 1)));
    }
}
