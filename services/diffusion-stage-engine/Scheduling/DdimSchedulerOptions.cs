namespace Omni.DiffusionStage.Scheduling;

/// <summary>The DDIMScheduler configuration this implementation supports (scaled_linear betas, epsilon, eta 0).</summary>
public sealed record DdimSchedulerOptions
{
    public int NumTrainTimesteps { get; init; } = 1000;

    public double BetaStart { get; init; } = 0.00085;

    public double BetaEnd { get; init; } = 0.012;

    public TimestepSpacing TimestepSpacing { get; init; } = TimestepSpacing.Leading;

    public int StepsOffset { get; init; } = 1;

    public bool SetAlphaToOne { get; init; }

    public bool ClipSample { get; init; } = true;

    public float ClipSampleRange { get; init; } = 1f;
}
