namespace Omni.Cli.Launching;

/// <summary>The Omni services and where their build output lives.</summary>
public sealed record ServiceKind(string Name, string ProjectFolder, string AssemblyName)
{
    public static readonly ServiceKind Orchestrator = new("orchestrator", "orchestrator", "Omni.Orchestrator");
    public static readonly ServiceKind ArStage = new("ar-stage", "ar-stage", "Omni.ArStage");
    public static readonly ServiceKind DiffusionStage = new("diffusion-stage", "diffusion-stage", "Omni.DiffusionStage");
    public static readonly ServiceKind Code2WavStage = new("code2wav-stage", "code2wav-stage", "Omni.Code2WavStage");
}
