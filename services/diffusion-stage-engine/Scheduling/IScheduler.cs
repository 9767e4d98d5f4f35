namespace Omni.DiffusionStage.Scheduling;

/// <summary>A diffusion sampler's configuration; <see cref="SetTimesteps"/> derives an immutable per-request schedule.</summary>
public interface IScheduler
{
    int NumTrainTimesteps { get; }

    /// <summary>diffusers' set_timesteps: the schedule for <paramref name="numInferenceSteps"/> denoising steps.</summary>
    IDiffusionSchedule SetTimesteps(int numInferenceSteps);
}
