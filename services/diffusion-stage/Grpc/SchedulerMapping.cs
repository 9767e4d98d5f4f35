using Omni.Contracts.V1;
using Omni.DiffusionStage.Engine;

namespace Omni.DiffusionStage.Grpc;

/// <summary>The request's scheduler as the engine's sampler, for images and videos alike.</summary>
internal static class SchedulerMapping
{
    public static SamplerKind ToSampler(this Scheduler scheduler) => scheduler == Scheduler.Ddim ? SamplerKind.Ddim : SamplerKind.FlowMatchEuler;
}
