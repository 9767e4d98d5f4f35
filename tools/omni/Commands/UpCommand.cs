using System.CommandLine;
using System.Text.Json;
using Omni.Cli.Launching;

namespace Omni.Cli.Commands;

/// <summary>`omni up`: start the services and keep them running until Ctrl-C.</summary>
public static class UpCommand
{
    public static Command Create()
    {
        var launch = new LaunchOptions(speechByDefault: true);
        var json = new Option<bool>("--json") { Description = "Print one JSON line per service (name, stage_id, replica_id, grpc, metrics)." };
        var command = new Command("up", "Start the three services locally and keep them running until Ctrl-C.") { json };
        foreach (var option in launch.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, invocationToken) =>
        {
            using var signals = new ShutdownSignals(invocationToken);
            var cancellationToken = signals.Token;
            var asJson = parse.GetValue(json);
            await using var pipeline = await LocalPipeline.StartAsync(
                launch.Build(parse, asJson ? null : line => Console.Error.WriteLine(line)), cancellationToken);
            foreach (var service in pipeline.All)
            {
                if (asJson)
                {
                    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                    {
                        ["name"] = service.Kind.Name,
                        ["stage_id"] = service.StageId < 0 ? null : service.StageId,
                        ["replica_id"] = service.ReplicaId,
                        ["grpc"] = service.GrpcAddress,
                        ["http"] = service.HttpPort is null ? null : service.HttpAddress,
                        ["metrics"] = service.MetricsAddress,
                        ["pid"] = service.ProcessId,
                        ["log"] = service.LogPath,
                    }));
                }
                else
                {
                    Console.WriteLine($"{service.Kind.Name,-16} grpc {service.GrpcAddress}  metrics {service.MetricsAddress}"
                        + (service.HttpPort is null ? "" : $"  http (OpenAI API) {service.HttpAddress}/v1"));
                }
            }
            Console.Out.Flush();
            if (!asJson)
            {
                Console.WriteLine("Running; Ctrl-C stops every service.");
            }
            try
            {
                while (!pipeline.All.Any(service => service.HasExited))
                {
                    await Task.Delay(500, cancellationToken);
                }
                var exited = pipeline.All.First(service => service.HasExited);
                Console.Error.WriteLine($"{exited.Kind.Name} exited; stopping the rest.\n{exited.Tail()}");
                return 1;
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        });
        return command;
    }
}
