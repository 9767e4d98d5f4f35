using static TorchSharp.torch;

namespace Omni.DiffusionStage.Scheduling;

/// <summary>A DDIM schedule (eta = 0) for an epsilon-predicting model.</summary>
public sealed class DdimSchedule : IDiffusionSchedule
{
    private readonly DdimScheduler scheduler;
    private readonly int[] timesteps;
    private readonly double[] timestepValues;
    private readonly int numInferenceSteps;

    internal DdimSchedule(DdimScheduler scheduler, int[] timesteps, int numInferenceSteps)
    {
        this.scheduler = scheduler;
        this.timesteps = timesteps;
        timestepValues = timesteps.Select(t => (double)t).ToArray();
        this.numInferenceSteps = numInferenceSteps;
    }

    public IReadOnlyList<double> Timesteps => timestepValues;

    public IReadOnlyList<int> DiscreteTimesteps => timesteps;

    /// <summary>The timestep DDIM steps to from <paramref name="stepIndex"/> (negative: past the start).</summary>
    public int PreviousTimestep(int stepIndex) => timesteps[stepIndex] - (scheduler.NumTrainTimesteps / numInferenceSteps);

    public float AlphaProdT(int stepIndex) => scheduler.AlphaCumprodAt(timesteps[stepIndex]);

    public float AlphaProdTPrev(int stepIndex) => scheduler.AlphaCumprodAt(PreviousTimestep(stepIndex));

    public Tensor Step(Tensor modelOutput, int stepIndex, Tensor sample)
    {
        var output = StepWithPrediction(modelOutput, stepIndex, sample);
        output.PredOriginalSample.Dispose();
        return output.PrevSample;
    }

    /// <summary>diffusers' DDIMScheduler.step with eta = 0: the previous sample and the predicted x0.</summary>
    public DdimStepOutput StepWithPrediction(Tensor modelOutput, int stepIndex, Tensor sample)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stepIndex, timesteps.Length);
        using var scope = NewDisposeScope();

        // Scalars are float32, as the 0-dim tensors diffusers computes them with.
        var alphaProdT = AlphaProdT(stepIndex);
        var alphaProdTPrev = AlphaProdTPrev(stepIndex);
        var betaProdT = 1f - alphaProdT;

        var predOriginal = sample.sub(modelOutput.mul(MathF.Sqrt(betaProdT))).div(MathF.Sqrt(alphaProdT));
        if (scheduler.Options.ClipSample)
        {
            var range = scheduler.Options.ClipSampleRange;
            predOriginal = predOriginal.clamp(-range, range);
        }

        var direction = modelOutput.mul(MathF.Sqrt(1f - alphaProdTPrev));
        var prev = predOriginal.mul(MathF.Sqrt(alphaProdTPrev)).add(direction);
        var (movedPrev, movedOriginal) = scope.MoveToOuter(prev, predOriginal);
        return new DdimStepOutput(movedPrev, movedOriginal);
    }
}
