using static TorchSharp.torch;

namespace Omni.DiffusionStage.Scheduling;

/// <summary>
/// DDIM (diffusers' DDIMScheduler, eta = 0) driving a flow-matching denoiser. A DDIM sample at timestep t,
/// x = sqrt(a) x0 + sqrt(1 - a) eps (a = alphas_cumprod[t]), is the flow-matching sample z = (1 - sigma) x0 + sigma eps
/// scaled by 1 / (sqrt(a) + sqrt(1 - a)), with sigma = sqrt(1 - a) / (sqrt(a) + sqrt(1 - a)). So the model sees z at
/// timestep sigma * num_train_timesteps, and its velocity v = eps - x0 gives DDIM's epsilon as eps = z + (1 - sigma) v.
/// </summary>
public sealed class DdimVelocitySampler : IVelocitySampler
{
    private readonly DdimSchedule schedule;
    private readonly float[] inputScales;
    private readonly float[] sigmas;
    private readonly double[] modelTimesteps;

    public DdimVelocitySampler(DdimSchedule schedule, int numTrainTimesteps)
    {
        this.schedule = schedule;
        var steps = schedule.Timesteps.Count;
        inputScales = new float[steps];
        sigmas = new float[steps];
        modelTimesteps = new double[steps];
        for (var i = 0; i < steps; i++)
        {
            double alpha = schedule.AlphaProdT(i);
            var (signal, noise) = (Math.Sqrt(alpha), Math.Sqrt(1 - alpha));
            inputScales[i] = (float)(1 / (signal + noise));
            sigmas[i] = (float)(noise / (signal + noise));
            modelTimesteps[i] = sigmas[i] * (double)numTrainTimesteps;
        }
    }

    public int Steps => inputScales.Length;

    public double ModelTimestep(int stepIndex) => modelTimesteps[stepIndex];

    public Tensor ModelInput(Tensor sample, int stepIndex) => sample.mul(inputScales[stepIndex]);

    public Tensor Step(Tensor velocity, int stepIndex, Tensor sample)
    {
        using var scope = NewDisposeScope();
        var epsilon = ModelInput(sample, stepIndex).add(velocity.mul(1f - sigmas[stepIndex]));
        return scope.MoveToOuter(schedule.Step(epsilon, stepIndex, sample));
    }
}
