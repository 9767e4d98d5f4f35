using static TorchSharp.torch;

namespace Omni.DiffusionStage.Scheduling;

/// <summary>A flow-matching Euler schedule: N timesteps, N + 1 sigmas ending in 0.</summary>
public sealed class FlowMatchEulerSchedule : IDiffusionSchedule
{
    private readonly double[] timesteps;
    private readonly double[] sigmas;

    internal FlowMatchEulerSchedule(double[] timesteps, double[] sigmas)
    {
        this.timesteps = timesteps;
        this.sigmas = sigmas;
    }

    public IReadOnlyList<double> Timesteps => timesteps;

    public IReadOnlyList<double> Sigmas => sigmas;

    /// <summary>sigma[i + 1] - sigma[i], differenced in float32 as diffusers (which keeps sigmas in float32) does.</summary>
    public float StepSize(int stepIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stepIndex, timesteps.Length);
        return (float)sigmas[stepIndex + 1] - (float)sigmas[stepIndex];
    }

    /// <summary>The Euler update for a velocity prediction: sample + (sigma[i + 1] - sigma[i]) * v.</summary>
    public Tensor Step(Tensor modelOutput, int stepIndex, Tensor sample)
    {
        var dt = StepSize(stepIndex);
        using var scope = NewDisposeScope();
        var next = sample.to(float32).add(modelOutput.to(float32).mul(dt));
        return scope.MoveToOuter(next.to(modelOutput.dtype));
    }
}
