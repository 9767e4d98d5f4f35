using System.CommandLine;
using Omni.Cli.Launching;

namespace Omni.Cli.Commands;

/// <summary>Options of the commands that start the services locally (`demo`, `up`, and `bench --local`).</summary>
public sealed class LaunchOptions(bool speechByDefault = false)
{
    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "auto" };
    public Option<string?> ArModel { get; } = new("--ar-model-dir") { Description = "AR checkpoint directory (default: built-in model)." };
    public Option<string?> DiffusionModel { get; } = new("--diffusion-model-dir") { Description = "Diffusion checkpoint directory (default: built-in model)." };
    public Option<int> ArReplicas { get; } = new("--ar-replicas") { Description = "AR stage processes.", DefaultValueFactory = _ => 1 };
    public Option<int> DiffusionReplicas { get; } = new("--diffusion-replicas") { Description = "Diffusion stage processes.", DefaultValueFactory = _ => 1 };

    public Option<bool> Speech { get; } = new("--speech")
    {
        Description = "Also start a talker and a code2wav stage, so that the pipeline speaks (--speech false: text and image only).",
        DefaultValueFactory = _ => speechByDefault,
    };
    public Option<string?> TalkerModel { get; } = new("--talker-model-dir") { Description = "Talker checkpoint directory (default: built-in talker)." };
    public Option<string?> Code2WavModel { get; } = new("--code2wav-model-dir") { Description = "Vocoder checkpoint directory (default: built-in vocoder)." };

    public Option<int?> MaxInflight { get; } = new("--max-inflight") { Description = "Orchestrator: requests processed at once (default 64)." };
    public Option<int?> MaxWaiting { get; } = new("--max-waiting") { Description = "Orchestrator: requests waiting for a slot, beyond: RESOURCE_EXHAUSTED (default 256)." };
    public Option<string?> Connector { get; } = new("--connector")
    {
        Description = "How the AR stage's hidden states reach the diffusion stage: relay (through the orchestrator) or direct.",
    };

    public IEnumerable<Option> All => [Device, ArModel, DiffusionModel, ArReplicas, DiffusionReplicas, Speech, TalkerModel, Code2WavModel, MaxInflight,
        MaxWaiting, Connector];

    public LocalPipelineOptions Build(ParseResult parse, Action<string>? echo) => new()
    {
        Device = parse.GetValue(Device) ?? "auto",
        ArModelDirectory = parse.GetValue(ArModel),
        DiffusionModelDirectory = parse.GetValue(DiffusionModel),
        ArReplicas = parse.GetValue(ArReplicas),
        DiffusionReplicas = parse.GetValue(DiffusionReplicas),
        Speech = parse.GetValue(Speech),
        TalkerModelDirectory = parse.GetValue(TalkerModel),
        Code2WavModelDirectory = parse.GetValue(Code2WavModel),
        OrchestratorArgs = OrchestratorArgs(parse),
        Echo = echo,
    };

    private List<string> OrchestratorArgs(ParseResult parse)
    {
        var args = new List<string>();
        if (parse.GetValue(MaxInflight) is { } inflight)
        {
            args.AddRange(["--max-inflight", $"{inflight}"]);
        }
        if (parse.GetValue(MaxWaiting) is { } waiting)
        {
            args.AddRange(["--max-waiting", $"{waiting}"]);
        }
        if (parse.GetValue(Connector) is { Length: > 0 } connector)
        {
            args.AddRange(["--connector", connector]);
        }
        return args;
    }
}
