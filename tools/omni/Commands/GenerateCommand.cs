using System.CommandLine;
using Grpc.Core;
using Omni.Cli.Client;

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
            using var client = new OmniClient(parse.GetValue(orchestrator)!);
            DateTime? deadline = parse.GetValue(timeout) is { } seconds ? DateTime.UtcNow.AddSeconds(seconds) : null;
            try
            {
                var traceParent = parse.GetValue(trace) ? SpanTree.NewTraceParent() : null;
                var result = await client.GenerateAsync(request.Build(parse), Console.Write, deadline, cancellationToken, traceParent);
                Console.WriteLine();
                if (ResultPrinter.SaveImage(result, parse.GetValue(request.Out) ?? ".") is { } path)
                {
                    Console.WriteLine($"Image: {path}");
                }
                if (parse.GetValue(request.Audio) is { Length: > 0 } audioPath)
                {
                    Console.WriteLine($"Audio: {AudioFiles.Summary(result, AudioFiles.Save(result.AudioChunks, audioPath))}");
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
                return 2;
            }
        });
        return command;
    }
}
