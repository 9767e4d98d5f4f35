using static TorchSharp.torch;

namespace Omni.DiffusionStage.Scheduling;

/// <summary>
/// One request's sampling run with a velocity-predicting (flow-matching) denoiser: what to feed the model at each
/// step and how to turn its velocity into the next sample. Immutable, so safe to share.
/// </summary>
public interface IVelocitySampler
{
    int Steps { get; }

    /// <summary>The model's timestep input at <paramref name="stepIndex"/> (sigma * num_train_timesteps).</summary>
    double ModelTimestep(int stepIndex);

    /// <summary>The model's latent input at <paramref name="stepIndex"/> for the current sample.</summary>
    Tensor ModelInput(Tensor sample, int stepIndex);

    /// <summary>The sample after <paramref name="stepIndex"/>, given the model's (guided) velocity.</summary>
    Tensor Step(Tensor velocity, int stepIndex, Tensor sample);
}
