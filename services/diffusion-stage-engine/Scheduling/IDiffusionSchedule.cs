using static TorchSharp.torch;

namespace Omni.DiffusionStage.Scheduling;

/// <summary>The timesteps of one sampling run and the update rule between them. Immutable, so safe to share.</summary>
public interface IDiffusionSchedule
{
    /// <summary>The model's timestep input at each step, in [0, num_train_timesteps].</summary>
    IReadOnlyList<double> Timesteps { get; }

    /// <summary>The sample after step <paramref name="stepIndex"/>, given the model's output at that step.</summary>
    Tensor Step(Tensor modelOutput, int stepIndex, Tensor sample);
}
