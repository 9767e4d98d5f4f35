namespace Omni.DiffusionStage.Scheduling;

/// <summary>diffusers' timestep_spacing for discrete schedulers.</summary>
public enum TimestepSpacing
{
    Leading,
    Trailing,
    Linspace,
}
