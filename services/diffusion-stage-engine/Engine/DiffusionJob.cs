using System.Diagnostics;
using Omni.DiffusionStage.Scheduling;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Engine;

/// <summary>
/// One request being denoised: its sampler, its latents (one row per image) and the cross-attention keys and values
/// of both guidance branches, all on the engine's device and owned by the job. Used on the engine thread only.
/// </summary>
internal sealed class DiffusionJob : IDisposable
{
    private readonly Tensor[] conditionalKeyValues;
    private readonly Tensor[]? unconditionalKeyValues;
    private Tensor latents;
    private long execStarted;

    public DiffusionJob(DiffusionRequest request, IVelocitySampler sampler, Tensor latents, Tensor[] conditionalKeyValues,
        Tensor[]? unconditionalKeyValues, TimeSpan preprocessTime)
    {
        Request = request;
        Sampler = sampler;
        this.latents = latents;
        this.conditionalKeyValues = conditionalKeyValues;
        this.unconditionalKeyValues = unconditionalKeyValues;
        PreprocessTime = preprocessTime;
    }

    public DiffusionRequest Request { get; }

    public IVelocitySampler Sampler { get; }

    /// <summary>[images, latent channels, h, w]; a video's [1, latent channels, frames, h, w].</summary>
    public Tensor Latents => latents;

    /// <summary>Per block, [images, conditioning tokens, 2 * hidden].</summary>
    public IReadOnlyList<Tensor> ConditionalKeyValues => conditionalKeyValues;

    /// <summary>Per block, [images, negative or null tokens, 2 * hidden]; null without guidance.</summary>
    public IReadOnlyList<Tensor>? UnconditionalKeyValues => unconditionalKeyValues;

    public int Images => Request.NumImages;

    /// <summary>The next step to run; equals <see cref="IVelocitySampler.Steps"/> once denoised.</summary>
    public int StepIndex { get; private set; }

    public bool IsDenoised => StepIndex >= Sampler.Steps;

    public TimeSpan PreprocessTime { get; }

    /// <summary>From the start of the first step to the end of the last; zero until denoised.</summary>
    public TimeSpan ExecTime { get; private set; }

    /// <summary>Takes ownership of <paramref name="next"/> as the sample after the current step, which started at <paramref name="stepStarted"/>.</summary>
    public void Advance(Tensor next, long stepStarted, long stepEnded)
    {
        if (StepIndex == 0)
        {
            execStarted = stepStarted;
        }

        latents.Dispose();
        latents = next;
        StepIndex++;
        if (IsDenoised)
        {
            ExecTime = Stopwatch.GetElapsedTime(execStarted, stepEnded);
        }
    }

    public void Dispose()
    {
        latents.Dispose();
        foreach (var tensor in conditionalKeyValues.Concat(unconditionalKeyValues ?? []))
        {
            tensor.Dispose();
        }
    }
}
