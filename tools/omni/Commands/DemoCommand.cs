using System.CommandLine;
using Omni.Cli.Client;
using Omni.Cli.Launching;

namespace Omni.Cli.Commands;

/// <summary>`omni demo`: start the pipeline, send one text+image request, print and save the result, stop.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var request = new RequestOptions();
        var launch = new LaunchOptions(speechByDefault: true);
        var command = new Command("demo",
            "Start the services locally, run one text+image+speech request end to end (text and image only with --speech false), then stop them.");
        foreach (var option in request.All.Concat(launch.All))
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, invocationToken) =>
        {
            using var signals = new ShutdownSignals(invocationToken);
            var cancellationToken = signals.Token;
            var generate = request.Build(parse);
            var speech = parse.GetValue(launch.Speech);
            var audioPath = parse.GetValue(request.Audio);
            if (speech && !generate.Outputs.Contains(Omni.Contracts.V1.Modality.Audio))
            {
                // The demo speaks unless told otherwise: a few seconds, written beside the image.
                generate.Outputs.Add(Omni.Contracts.V1.Modality.Audio);
                generate.Audio = new Omni.Contracts.V1.AudioParams { MaxDurationSeconds = parse.GetValue(request.AudioMaxDuration) ?? 3, Seed = generate.Text.Seed };
            }
            if (generate.Outputs.Contains(Omni.Contracts.V1.Modality.Audio) && string.IsNullOrEmpty(audioPath))
            {
                audioPath = Path.Combine(parse.GetValue(request.Out) ?? ".", $"omni-{generate.Text.Seed}.wav");
            }
            Console.WriteLine(speech
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
            var result = await client.GenerateAsync(generate, Console.Write, cancellationToken: cancellationToken);
            Console.WriteLine();
            if (ResultPrinter.SaveImage(result, parse.GetValue(request.Out) ?? ".") is { } path)
            {
                Console.WriteLine($"Image: {path} ({result.Image!.Width}x{result.Image.Height}, {result.Image.Data.Length} bytes PNG)");
            }
            if (!string.IsNullOrEmpty(audioPath) && result.AudioChunks.Count > 0)
            {
                Console.WriteLine($"Audio: {AudioFiles.Summary(result, AudioFiles.Save(result.AudioChunks, audioPath))}");
            }
            Console.WriteLine($"Timing: {ResultPrinter.Summary(result.Final)}");
            Console.WriteLine($"Logs: {pipeline.LogDirectory}");
            Console.WriteLine("Stopping the services ...");
            return 0;
        });
        return command;
    }
}
