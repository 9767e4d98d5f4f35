using static TorchSharp.torch;

namespace Omni.DiffusionStage.Scheduling;

/// <summary>Flow-matching Euler: the sample is the model's input as it is, the velocity is the update's direction.</summary>
public sealed class FlowMatchVelocitySampler(FlowMatchEulerSchedule schedule) : IVelocitySampler
{
    public int Steps => schedule.Timesteps.Count;

    public double ModelTimestep(int stepIndex) => schedule.Timesteps[stepIndex];

    public Tensor ModelInput(Tensor sample, int stepIndex) => sample.alias();

    public Tensor Step(Tensor velocity, int stepIndex, Tensor sample) => schedule.Step(velocity, stepIndex, sample);
}
