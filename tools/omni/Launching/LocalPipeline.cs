namespace Omni.Cli.Launching;

/// <summary>Settings for a local pipeline: how many replicas per stage and what each process gets.</summary>
public sealed record LocalPipelineOptions
{
    public int ArReplicas { get; init; } = 1;

    public int DiffusionReplicas { get; init; } = 1;

    /// <summary>Also start a talker and a code2wav stage, and serve the speech pipeline (pipelines/speech.yaml).</summary>
    public bool Speech { get; init; }

    public string? TalkerModelDirectory { get; init; }

    public string? Code2WavModelDirectory { get; init; }

    /// <summary>
    /// Also start a video stage (a diffusion stage with `--builtin-model video`) and serve every modality
    /// (pipelines/omni.yaml, which holds the speech stages too: needs <see cref="Speech"/>).
    /// </summary>
    public bool Video { get; init; }

    /// <summary>Video checkpoint directory for the video stage (null: the built-in video model).</summary>
    public string? VideoModelDirectory { get; init; }

    public string Device { get; init; } = "auto";

    public string? ArModelDirectory { get; init; }

    public string? DiffusionModelDirectory { get; init; }

    public string? LogDirectory { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(3);

    public IReadOnlyList<string> OrchestratorArgs { get; init; } = [];

    public IReadOnlyList<string> ArArgs { get; init; } = [];

    public IReadOnlyList<string> DiffusionArgs { get; init; } = [];

    public IReadOnlyList<string> TalkerArgs { get; init; } = [];

    public IReadOnlyList<string> Code2WavArgs { get; init; } = [];

    public IReadOnlyList<string> VideoArgs { get; init; } = [];

    /// <summary>Receives every service log line, prefixed with its name (null: logs go to files only).</summary>
    public Action<string>? Echo { get; init; }

    /// <summary>Environment variables every service gets (OTEL_EXPORTER_OTLP_ENDPOINT, say); a null value removes one.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
}

/// <summary>
/// The services as child processes on free 127.0.0.1 ports: stages first (AR, diffusion, with speech a talker and a
/// code2wav stage, and with video a video stage), then the orchestrator pointed at them. Disposing stops them all
/// (SIGTERM, then kill).
/// </summary>
public sealed class LocalPipeline : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string?> _environment;

    private LocalPipeline(IReadOnlyList<ServiceProcess> arStages, IReadOnlyList<ServiceProcess> diffusionStages,
        IReadOnlyList<ServiceProcess> speechStages, IReadOnlyList<ServiceProcess> videoStages, ServiceProcess orchestrator, string logDirectory,
        IReadOnlyDictionary<string, string?> environment)
    {
        _environment = environment;
        ArStages = arStages;
        DiffusionStages = diffusionStages;
        SpeechStages = speechStages;
        VideoStages = videoStages;
        Orchestrator = orchestrator;
        LogDirectory = logDirectory;
        // Last resort when this process exits without disposing the pipeline: never leave services behind.
        AppDomain.CurrentDomain.ProcessExit += KillAll;
    }

    public IReadOnlyList<ServiceProcess> ArStages { get; }

    public IReadOnlyList<ServiceProcess> DiffusionStages { get; }

    /// <summary>The talker and the code2wav stage when the pipeline speaks, else none.</summary>
    public IReadOnlyList<ServiceProcess> SpeechStages { get; }

    /// <summary>The video stage when the pipeline films, else none.</summary>
    public IReadOnlyList<ServiceProcess> VideoStages { get; }

    public ServiceProcess Orchestrator { get; }

    public string LogDirectory { get; }

    public IEnumerable<ServiceProcess> All => [Orchestrator, .. ArStages, .. DiffusionStages, .. SpeechStages, .. VideoStages];

    private void KillAll(object? sender, EventArgs e)
    {
        foreach (var service in All)
        {
            service.Kill();
        }
    }

    public static async Task<LocalPipeline> StartAsync(LocalPipelineOptions options, CancellationToken cancellationToken)
    {
        if (options.Video && !options.Speech)
        {
            throw new ArgumentException("A video stage needs the speech stages: pipelines/omni.yaml serves both.", nameof(options));
        }
        // A free port picked here can be taken by another process before the service binds it: start again on others.
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(options, cancellationToken);
            }
            catch (InvalidOperationException exception) when (attempt < attempts && exception.Message.Contains("already in use", StringComparison.OrdinalIgnoreCase))
            {
                options.Echo?.Invoke($"[omni] a port was taken before a service bound it; starting again on other ports ({exception.Message.Split('\n')[0]})");
            }
        }
    }

    private static async Task<LocalPipeline> StartOnceAsync(LocalPipelineOptions options, CancellationToken cancellationToken)
    {
        var logDirectory = options.LogDirectory ?? Path.Combine(Path.GetTempPath(), $"omni-{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]);
        var stageCount = options.ArReplicas + options.DiffusionReplicas + (options.Speech ? 2 : 0) + (options.Video ? 1 : 0);
        var ports = FreePorts.Take(2 * (stageCount + 1));
        var next = 0;
        var started = new List<ServiceProcess>();
        try
        {
            // The AR stages may push hidden states to the diffusion replicas (direct connector), and only to them.
            var diffusionAddresses = Enumerable.Range(0, options.DiffusionReplicas)
                .Select(replica => $"http://127.0.0.1:{ports[2 * (options.ArReplicas + replica)]}");
            string[] arArgs = ["--transfer-peers", string.Join(',', diffusionAddresses), .. options.ArArgs];
            var ar = new List<ServiceProcess>();
            for (var replica = 0; replica < options.ArReplicas; replica++)
            {
                ar.Add(StartStage(ServiceKind.ArStage, 0, replica, options.ArModelDirectory, arArgs));
            }
            var diffusion = new List<ServiceProcess>();
            for (var replica = 0; replica < options.DiffusionReplicas; replica++)
            {
                diffusion.Add(StartStage(ServiceKind.DiffusionStage, 1, replica, options.DiffusionModelDirectory, options.DiffusionArgs));
            }
            var speech = new List<ServiceProcess>();
            if (options.Speech)
            {
                // The talker may push its codes to the vocoder (direct connector), and only to it: the stage started next.
                var code2wavAddress = $"http://127.0.0.1:{ports[next + 2]}";
                speech.Add(StartStage(ServiceKind.ArStage, 2, 0, options.TalkerModelDirectory,
                    [.. string.IsNullOrEmpty(options.TalkerModelDirectory) ? ["--builtin-model", "talker"] : Array.Empty<string>(),
                        "--transfer-peers", code2wavAddress, .. options.TalkerArgs]));
                speech.Add(StartStage(ServiceKind.Code2WavStage, 3, 0, options.Code2WavModelDirectory, options.Code2WavArgs));
            }
            var video = new List<ServiceProcess>();
            if (options.Video)
            {
                // The diffusion stage binary serving the video model (or the video checkpoint given).
                video.Add(StartStage(ServiceKind.DiffusionStage, 4, 0, options.VideoModelDirectory, ["--builtin-model", "video", .. options.VideoArgs]));
            }
            await Task.WhenAll(started.Select(stage => stage.WaitHealthyAsync(options.StartTimeout, cancellationToken)));

            var orchestratorArgs = StageAddressArgs(ar, diffusion, speech, video);
            orchestratorArgs.AddRange(options.OrchestratorArgs);
            var orchestrator = ServiceProcess.Start(ServiceKind.Orchestrator, ports[next++], ports[next++], -1, 0, orchestratorArgs, logDirectory,
                options.Echo, options.Environment);
            started.Add(orchestrator);
            await orchestrator.WaitHealthyAsync(options.StartTimeout, cancellationToken);
            return new LocalPipeline(ar, diffusion, speech, video, orchestrator, logDirectory, options.Environment);
        }
        catch
        {
            await Task.WhenAll(started.Select(process => process.DisposeAsync().AsTask()));
            throw;
        }

        ServiceProcess StartStage(ServiceKind kind, int stageId, int replica, string? modelDirectory, IReadOnlyList<string> extra)
        {
            var args = new List<string> { "--stage-id", $"{stageId}", "--replica-id", $"{replica}", "--device", options.Device };
            if (!string.IsNullOrEmpty(modelDirectory))
            {
                args.AddRange(["--model-dir", modelDirectory]);
            }
            args.AddRange(extra);
            var process = ServiceProcess.Start(kind, ports[next++], ports[next++], stageId, replica, args, logDirectory, options.Echo, options.Environment);
            started.Add(process);
            return process;
        }
    }

    /// <summary>
    /// Starts one more orchestrator in front of the same stage replicas, with its own flags (another connector, other
    /// admission limits); the caller disposes it.
    /// </summary>
    public async Task<ServiceProcess> StartOrchestratorAsync(IEnumerable<string> extraArgs, CancellationToken cancellationToken)
    {
        var ports = FreePorts.Take(2);
        var args = StageAddressArgs(ArStages, DiffusionStages, SpeechStages, VideoStages);
        args.AddRange(extraArgs);
        var orchestrator = ServiceProcess.Start(ServiceKind.Orchestrator, ports[0], ports[1], -1, 0, args, LogDirectory, environment: _environment);
        try
        {
            await orchestrator.WaitHealthyAsync(TimeSpan.FromMinutes(1), cancellationToken);
            return orchestrator;
        }
        catch
        {
            await orchestrator.DisposeAsync();
            throw;
        }
    }

    private static List<string> StageAddressArgs(IReadOnlyList<ServiceProcess> ar, IReadOnlyList<ServiceProcess> diffusion,
        IReadOnlyList<ServiceProcess> speech, IReadOnlyList<ServiceProcess> video) =>
        StageAddressArgs([.. ar.Select(stage => stage.GrpcAddress)], [.. diffusion.Select(stage => stage.GrpcAddress)],
            [.. speech.Select(stage => stage.GrpcAddress)], [.. video.Select(stage => stage.GrpcAddress)],
            () => Path.Combine(Path.GetDirectoryName(ServiceBinaries.Locate(ServiceKind.Orchestrator))!, "pipelines"));

    /// <summary>
    /// The orchestrator flags that point it at the stages: the default pipeline, speech.yaml with the talker and the
    /// code2wav stage (<paramref name="speech"/>, in that order), omni.yaml when there is a video stage as well.
    /// </summary>
    /// <param name="pipelinesDirectory">The orchestrator's pipelines folder, asked for only when a definition is needed.</param>
    internal static List<string> StageAddressArgs(IReadOnlyList<string> ar, IReadOnlyList<string> diffusion, IReadOnlyList<string> speech,
        IReadOnlyList<string> video, Func<string> pipelinesDirectory)
    {
        ArgumentNullException.ThrowIfNull(pipelinesDirectory);
        var args = new List<string> { "--ar-address", string.Join(',', ar), "--diffusion-address", string.Join(',', diffusion) };
        if (PipelineFile(speech.Count > 0, video.Count > 0) is { } file)
        {
            args.AddRange(["--pipeline", Path.Combine(pipelinesDirectory(), file), "--talker-address", speech[0], "--code2wav-address", speech[1]]);
        }
        if (video.Count > 0)
        {
            args.AddRange(["--video-address", string.Join(',', video)]);
        }
        return args;
    }

    /// <summary>The pipeline definition the orchestrator serves: null for the default (text and image).</summary>
    internal static string? PipelineFile(bool speech, bool video) => (speech, video) switch
    {
        (true, true) => "omni.yaml",
        (true, false) => "speech.yaml",
        (false, false) => null,
        (false, true) => throw new ArgumentException("A video stage needs the speech stages: pipelines/omni.yaml serves both."),
    };

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillAll;
        // Orchestrator first, so it does not see its stages vanish under in-flight requests.
        await Orchestrator.DisposeAsync();
        await Task.WhenAll(ArStages.Concat(DiffusionStages).Concat(SpeechStages).Concat(VideoStages).Select(stage => stage.DisposeAsync().AsTask()));
    }
}
