namespace Omni.DiffusionStage.Scheduling;

/// <summary>
/// diffusers' DDIMScheduler with scaled_linear betas, epsilon prediction and eta = 0 (deterministic DDIM).
/// The betas and cumulative alphas reproduce torch's float32 linspace and double-accumulated cumprod.
/// </summary>
public sealed class DdimScheduler : IScheduler
{
    private readonly float[] betas;
    private readonly float[] alphasCumprod;

    public DdimScheduler(DdimSchedulerOptions? options = null)
    {
        Options = options ?? new DdimSchedulerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.NumTrainTimesteps, 2);
        betas = ScaledLinearBetas(Options.BetaStart, Options.BetaEnd, Options.NumTrainTimesteps);
        alphasCumprod = CumulativeAlphas(betas);
        FinalAlphaCumprod = Options.SetAlphaToOne ? 1f : alphasCumprod[0];
    }

    public DdimSchedulerOptions Options { get; }

    public int NumTrainTimesteps => Options.NumTrainTimesteps;

    public IReadOnlyList<float> Betas => betas;

    public IReadOnlyList<float> AlphasCumprod => alphasCumprod;

    public float FinalAlphaCumprod { get; }

    public IDiffusionSchedule SetTimesteps(int numInferenceSteps) => CreateSchedule(numInferenceSteps);

    public DdimSchedule CreateSchedule(int numInferenceSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numInferenceSteps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(numInferenceSteps, NumTrainTimesteps);
        var train = NumTrainTimesteps;
        var timesteps = new int[numInferenceSteps];
        switch (Options.TimestepSpacing)
        {
            case TimestepSpacing.Leading:
                var leadingRatio = train / numInferenceSteps;
                if (((numInferenceSteps - 1) * leadingRatio) + Options.StepsOffset > train - 1)
                {
                    // diffusers indexes past alphas_cumprod here; a request for it is refused instead.
                    throw new ArgumentException(
                        $"DDIM with leading timestep spacing (steps offset {Options.StepsOffset}) takes fewer steps than {numInferenceSteps} over {train} training timesteps; use trailing spacing or fewer steps.",
                        nameof(numInferenceSteps));
                }

                for (var i = 0; i < numInferenceSteps; i++)
                {
                    timesteps[i] = ((numInferenceSteps - 1 - i) * leadingRatio) + Options.StepsOffset;
                }

                break;
            case TimestepSpacing.Trailing:
                // np.round(np.arange(train, 0, -train / n)) - 1
                var trailingRatio = train / (double)numInferenceSteps;
                for (var i = 0; i < numInferenceSteps; i++)
                {
                    timesteps[i] = (int)Math.Round(train - (i * trailingRatio), MidpointRounding.ToEven) - 1;
                }

                break;
            case TimestepSpacing.Linspace:
                for (var i = 0; i < numInferenceSteps; i++)
                {
                    // np.linspace(0, train - 1, n).round()[::-1]
                    var j = numInferenceSteps - 1 - i;
                    var position = numInferenceSteps == 1 ? 0.0
                        : j == numInferenceSteps - 1 ? train - 1
                        : j * ((train - 1) / (double)(numInferenceSteps - 1));
                    timesteps[i] = (int)Math.Round(position, MidpointRounding.ToEven);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(Options), Options.TimestepSpacing, "Unknown timestep spacing.");
        }

        return new DdimSchedule(this, timesteps, numInferenceSteps);
    }

    internal float AlphaCumprodAt(int timestep) => timestep >= 0 ? alphasCumprod[timestep] : FinalAlphaCumprod;

    /// <summary>torch.linspace(sqrt(start), sqrt(end), n, dtype=float32) ** 2.</summary>
    private static float[] ScaledLinearBetas(double betaStart, double betaEnd, int count)
    {
        var start = (float)Math.Sqrt(betaStart);
        var end = (float)Math.Sqrt(betaEnd);
        var step = (end - start) / (count - 1);
        var halfway = count / 2;
        var betas = new float[count];
        for (var i = 0; i < count; i++)
        {
            // torch's CPU linspace fills the second half backwards from the end point.
            var root = i < halfway ? start + (step * i) : end - (step * (count - i - 1));
            betas[i] = root * root;
        }

        return betas;
    }

    /// <summary>torch.cumprod(1 - betas) on a float32 CPU tensor: a double accumulator, each output rounded to float.</summary>
    private static float[] CumulativeAlphas(float[] betas)
    {
        var cumulative = new float[betas.Length];
        var accumulator = 1.0;
        for (var i = 0; i < betas.Length; i++)
        {
            accumulator *= 1f - betas[i];
            cumulative[i] = (float)accumulator;
        }

        return cumulative;
    }
}
