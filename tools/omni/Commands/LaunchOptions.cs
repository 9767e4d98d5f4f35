using System.CommandLine;
using Omni.Cli.Launching;

namespace Omni.Cli.Commands;

/// <summary>Options of the commands that start the services locally (`demo`, `up`).</summary>
public sealed class LaunchOptions
{
    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "auto" };
    public Option<string?> ArModel { get; } = new("--ar-model-dir") { Description = "AR checkpoint directory (default: built-in model)." };
    public Option<string?> DiffusionModel { get; } = new("--diffusion-model-dir") { Description = "Diffusion checkpoint directory (default: built-in model)." };
    public Option<int> ArReplicas { get; } = new("--ar-replicas") { Description = "AR stage processes.", DefaultValueFactory = _ => 1 };
    public Option<int> DiffusionReplicas { get; } = new("--diffusion-replicas") { Description = "Diffusion stage processes.", DefaultValueFactory = _ => 1 };

    public IEnumerable<Option> All => [Device, ArModel, DiffusionModel, ArReplicas, DiffusionReplicas];

    public LocalPipelineOptions Build(ParseResult parse, Action<string>? echo) => new()
    {
        Device = parse.GetValue(Device) ?? "auto",
        ArModelDirectory = parse.GetValue(ArModel),
        DiffusionModelDirectory = parse.GetValue(DiffusionModel),
        ArReplicas = parse.GetValue(ArReplicas),
        DiffusionReplicas = parse.GetValue(DiffusionReplicas),
        Echo = echo,
    };
}
