using System.CommandLine;
using Grpc.Core;
using Omni.Cli.Client;
using Omni.Contracts.V1;

namespace Omni.Cli.Commands;

/// <summary>`omni generate`: a client against a running orchestrator.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var request = new RequestOptions();
        var orchestrator = new Option<string>("--orchestrator") { Description = "Orchestrator gRPC address.", DefaultValueFactory = _ => "http://127.0.0.1:50051" };
        var timeout = new Option<double?>("--timeout") { Description = "Deadline in seconds." };
        var trace = new Option<bool>("--trace")
        {
            Description = "Start a sampled trace for the request and print its span tree with durations (exported too where the services export traces).",
        };
        var command = new Command("generate", "Send one request to a running orchestrator.") { orchestrator, timeout, trace };
        foreach (var option in request.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, cancellationToken) =>
        {
            var generate = request.Build(parse);
            // The clip goes to the file as it streams; without --video FILE, --outputs video writes omni-SEED.mp4 into --out.
            using var video = generate.Outputs.Contains(Modality.Video)
                ? new VideoFileWriter(parse.GetValue(request.Video) is { Length: > 0 } file
                    ? file
                    : Path.Combine(parse.GetValue(request.Out) ?? ".", $"omni-{generate.Video.Seed}.mp4"))
                : null;
            using var client = new OmniClient(parse.GetValue(orchestrator)!);
            DateTime? deadline = parse.GetValue(timeout) is { } seconds ? DateTime.UtcNow.AddSeconds(seconds) : null;
            try
            {
                var traceParent = parse.GetValue(trace) ? SpanTree.NewTraceParent() : null;
                var result = await client.GenerateAsync(generate, Console.Write, deadline, cancellationToken, traceParent, onVideo: video is null ? null : video.Write);
                Console.WriteLine();
                if (ResultPrinter.SaveImage(result, parse.GetValue(request.Out) ?? ".") is { } path)
                {
                    Console.WriteLine($"Image: {path}");
                }
                if (parse.GetValue(request.Audio) is { Length: > 0 } audioPath)
                {
                    Console.WriteLine($"Audio: {AudioFiles.Summary(result, AudioFiles.Save(result.AudioChunks, audioPath))}");
                }
                if (video is not null)
                {
                    Console.WriteLine(video.Chunks > 0 ? $"Video: {video.Summary(result)}" : "Video: none came back.");
                }
                Console.WriteLine($"Timing: {ResultPrinter.Summary(result.Final)}");
                if (traceParent is not null)
                {
                    Console.Write(SpanTree.Render(result.Final));
                }
                return 0;
            }
            catch (RpcException error)
            {
                Console.Error.WriteLine($"{error.StatusCode}: {error.Status.Detail}");
                if (video?.Incomplete() is { } left)
                {
                    Console.Error.WriteLine($"Video: {left}");
                }
                return 2;
            }
        });
        return command;
    }
}
