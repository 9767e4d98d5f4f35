using System.CommandLine;
using Omni.Cli.Client;
using Omni.Cli.Launching;
using Omni.Contracts.V1;

namespace Omni.Cli.Commands;

/// <summary>`omni demo`: start the pipeline, send one text+image(+speech+video) request, print and save the result, stop.</summary>
public static class DemoCommand
{
    /// <summary>The demo's clip unless the --video-* options say otherwise: short, so that the demo stays quick.</summary>
    public static VideoParams Clip => new() { Width = 128, Height = 128, Frames = 8, Fps = 8, NumInferenceSteps = 10, Format = VideoFormat.Mp4 };

    public static Command Create()
    {
        var request = new RequestOptions();
        var launch = new LaunchOptions(speechByDefault: true);
        var command = new Command("demo",
            "Start the services locally, run one text+image+speech+video request end to end (no video with --video false, text and image only " +
            "with --speech false), then stop them.");
        // --video here is the launcher's switch; the clip is written as omni-SEED.mp4 into --out.
        foreach (var option in request.All.Where(option => option != request.Video).Concat(launch.All))
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, invocationToken) =>
        {
            using var signals = new ShutdownSignals(invocationToken);
            var cancellationToken = signals.Token;
            var generate = request.Build(parse);
            var speech = parse.GetValue(launch.Speech);
            var video = launch.WantsVideo(parse);
            var audioPath = parse.GetValue(request.Audio);
            if (speech && !generate.Outputs.Contains(Modality.Audio))
            {
                // The demo speaks unless told otherwise: a few seconds, written beside the image.
                generate.Outputs.Add(Modality.Audio);
                generate.Audio = new AudioParams { MaxDurationSeconds = parse.GetValue(request.AudioMaxDuration) ?? 3, Seed = generate.Text.Seed };
            }
            if (generate.Outputs.Contains(Modality.Audio) && string.IsNullOrEmpty(audioPath))
            {
                audioPath = Path.Combine(parse.GetValue(request.Out) ?? ".", $"omni-{generate.Text.Seed}.wav");
            }
            if (video && !generate.Outputs.Contains(Modality.Video))
            {
                // And films: a short clip in the same request, written beside the image.
                generate.Outputs.Add(Modality.Video);
            }
            string? videoPath = null;
            if (generate.Outputs.Contains(Modality.Video))
            {
                generate.Video = request.VideoParameters(parse, Clip);
                generate.Video.Seed = generate.Text.Seed;
                videoPath = Path.Combine(parse.GetValue(request.Out) ?? ".", $"omni-{generate.Text.Seed}.mp4");
            }
            Console.WriteLine(video
                ? "Starting the AR, diffusion, talker, code2wav and video stages and the orchestrator on 127.0.0.1 ..."
                : speech
                ? "Starting the AR, diffusion, talker and code2wav stages and the orchestrator on 127.0.0.1 ..."
                : "Starting the AR stage, the diffusion stage and the orchestrator on 127.0.0.1 ...");
            await using var pipeline = await LocalPipeline.StartAsync(launch.Build(parse, echo: null), cancellationToken);
            foreach (var service in pipeline.All)
            {
                Console.WriteLine($"  {service.Kind.Name,-16} grpc {service.GrpcAddress}  metrics {service.MetricsAddress}"
                    + (service.HttpPort is null ? "" : $"  http {service.HttpAddress}"));
            }
            Console.WriteLine($"Prompt: {generate.Prompt}");
            Console.Write("Text: ");
            using var client = new OmniClient(pipeline.Orchestrator.GrpcAddress);
            using var videoFile = videoPath is null ? null : new VideoFileWriter(videoPath);
            var result = await client.GenerateAsync(generate, Console.Write, cancellationToken: cancellationToken, onVideo: videoFile is null ? null : videoFile.Write);
            Console.WriteLine();
            if (ResultPrinter.SaveImage(result, parse.GetValue(request.Out) ?? ".") is { } path)
            {
                Console.WriteLine($"Image: {path} ({result.Image!.Width}x{result.Image.Height}, {result.Image.Data.Length} bytes PNG)");
            }
            if (!string.IsNullOrEmpty(audioPath) && result.AudioChunks.Count > 0)
            {
                Console.WriteLine($"Audio: {AudioFiles.Summary(result, AudioFiles.Save(result.AudioChunks, audioPath))}");
            }
            if (videoFile is { Chunks: > 0 })
            {
                Console.WriteLine($"Video: {videoFile.Summary(result)}");
            }
            Console.WriteLine($"Timing: {ResultPrinter.Summary(result.Final)}");
            Console.WriteLine($"Logs: {pipeline.LogDirectory}");
            Console.WriteLine("Stopping the services ...");
            return 0;
        });
        return command;
    }
}
