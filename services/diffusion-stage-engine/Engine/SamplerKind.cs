namespace Omni.DiffusionStage.Engine;

/// <summary>The sampling schedule a request asks for.</summary>
public enum SamplerKind
{
    /// <summary>Flow-matching Euler (diffusers' FlowMatchEulerDiscreteScheduler) with the request's shift.</summary>
    FlowMatchEuler,

    /// <summary>DDIM, eta = 0 (diffusers' DDIMScheduler), with leading or trailing timestep spacing.</summary>
    Ddim,
}
