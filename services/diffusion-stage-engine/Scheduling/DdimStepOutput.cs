using static TorchSharp.torch;

namespace Omni.DiffusionStage.Scheduling;

/// <summary>diffusers' DDIMSchedulerOutput. Owned by the caller.</summary>
public sealed record DdimStepOutput(Tensor PrevSample, Tensor PredOriginalSample);
