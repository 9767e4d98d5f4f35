using System.CommandLine;
using Omni.Cli.Launching;

namespace Omni.Cli.Commands;

/// <summary>Options of the commands that start the services locally (`demo`, `up`, and `bench --local`).</summary>
public sealed class LaunchOptions
{
    /// <summary>The one combination refused: omni.yaml, the only pipeline with a video stage, holds the speech stages too.</summary>
    public const string VideoNeedsSpeech = "--video needs --speech: pipelines/omni.yaml serves both (add --speech true, or --video false).";

    /// <param name="speechByDefault">Whether --speech, and with it --video, is on unless the command line says otherwise.</param>
    public LaunchOptions(bool speechByDefault = false)
    {
        Speech = new("--speech")
        {
            Description = "Also start a talker and a code2wav stage, so that the pipeline speaks (--speech false: text and image only).",
            DefaultValueFactory = _ => speechByDefault,
        };
        Video = new("--video")
        {
            Description = "Also start a video stage (pipelines/omni.yaml: every modality); needs --speech. " +
                "Follows --speech unless given (--video false: no video stage).",
            DefaultValueFactory = _ => speechByDefault,
        };
        // A usage error at parse time, before anything starts; a --video left at its default just follows --speech.
        Video.Validators.Add(result =>
        {
            if (!result.Implicit && result.GetValueOrDefault<bool>() && !result.GetValue(Speech))
            {
                result.AddError(VideoNeedsSpeech);
            }
        });
    }

    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "auto" };
    public Option<string?> ArModel { get; } = new("--ar-model-dir") { Description = "AR checkpoint directory (default: built-in model)." };
    public Option<string?> DiffusionModel { get; } = new("--diffusion-model-dir") { Description = "Diffusion checkpoint directory (default: built-in model)." };
    public Option<int> ArReplicas { get; } = new("--ar-replicas") { Description = "AR stage processes.", DefaultValueFactory = _ => 1 };
    public Option<int> DiffusionReplicas { get; } = new("--diffusion-replicas") { Description = "Diffusion stage processes.", DefaultValueFactory = _ => 1 };

    public Option<bool> Speech { get; }
    public Option<string?> TalkerModel { get; } = new("--talker-model-dir") { Description = "Talker checkpoint directory (default: built-in talker)." };
    public Option<string?> Code2WavModel { get; } = new("--code2wav-model-dir") { Description = "Vocoder checkpoint directory (default: built-in vocoder)." };

    public Option<bool> Video { get; }
    public Option<string?> VideoModel { get; } = new("--video-model-dir") { Description = "Video checkpoint directory (default: built-in video model)." };

    public Option<int?> MaxInflight { get; } = new("--max-inflight") { Description = "Orchestrator: requests processed at once (default 64)." };
    public Option<int?> MaxWaiting { get; } = new("--max-waiting") { Description = "Orchestrator: requests waiting for a slot, beyond: RESOURCE_EXHAUSTED (default 256)." };
    public Option<string?> Connector { get; } = new("--connector")
    {
        Description = "How the AR stage's hidden states reach the diffusion stage: relay (through the orchestrator) or direct.",
    };

    public IEnumerable<Option> All => [Device, ArModel, DiffusionModel, ArReplicas, DiffusionReplicas, Speech, TalkerModel, Code2WavModel, Video,
        VideoModel, MaxInflight, MaxWaiting, Connector];

    /// <summary>The pipeline the command line asks for.</summary>
    /// <exception cref="ArgumentException">--video true with --speech false.</exception>
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
        Video = WantsVideo(parse),
        VideoModelDirectory = parse.GetValue(VideoModel),
        OrchestratorArgs = OrchestratorArgs(parse),
        Echo = echo,
    };

    /// <summary>Whether to start a video stage: --video when given (refused without speech), else its default while the pipeline speaks.</summary>
    /// <exception cref="ArgumentException">--video true with --speech false.</exception>
    public bool WantsVideo(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (!parse.GetValue(Video))
        {
            return false;
        }
        if (parse.GetValue(Speech))
        {
            return true;
        }
        return parse.GetResult(Video) is { Implicit: false } ? throw new ArgumentException(VideoNeedsSpeech) : false;
    }

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
