using System.CommandLine;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Omni.Contracts.V1;

namespace Omni.Bench.Pipeline;

/// <summary>
/// `omni-bench bare-peer`: the baselines' other processes, plain gRPC with Kestrel's and grpc-dotnet's defaults and
/// nothing of Omni's. A receiver reads a client stream of chunks and answers once at its end; a relay (with
/// --forward-to) writes each chunk it reads on to the receiver, awaiting that write before the next read, and passes
/// the receiver's answer back; it also passes a stage's Process call, and the orchestrator's Generate call to a stage's Process, through, for the hop's baselines. It exits with the benchmark (--parent-pid).
/// </summary>
public static class BarePeer
{
    public const int MaxMessageBytes = 64 << 20;

    public static Command Create()
    {
        var port = new Option<int>("--port") { Required = true };
        var forwardTo = new Option<string?>("--forward-to") { Description = "Relay to this process instead of receiving." };
        var parentPid = new Option<int>("--parent-pid") { Required = true };
        var command = new Command("bare-peer", "A bare gRPC receiver or relay for the pipeline benchmark's baselines.") { port, forwardTo, parentPid };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel =>
                kestrel.Listen(IPAddress.Loopback, parse.GetValue(port), listen => listen.Protocols = HttpProtocols.Http2));
            builder.Services.AddGrpc(grpc =>
            {
                grpc.MaxReceiveMessageSize = MaxMessageBytes;
                grpc.MaxSendMessageSize = MaxMessageBytes;
            });
            var target = parse.GetValue(forwardTo);
            var next = target is null ? null : new Stage.StageClient(GrpcChannel.ForAddress(target,
                new GrpcChannelOptions { MaxReceiveMessageSize = MaxMessageBytes, MaxSendMessageSize = MaxMessageBytes }));
            builder.Services.AddSingleton(new BarePeerService(next));
            builder.Services.AddSingleton(new BareGenerateRelay(next));
            await using var app = builder.Build();
            app.MapGrpcService<BarePeerService>();
            app.MapGrpcService<BareGenerateRelay>();
            await app.StartAsync(cancellationToken);
            Console.WriteLine("ready");
            using var parent = System.Diagnostics.Process.GetProcessById(parse.GetValue(parentPid));
            await parent.WaitForExitAsync(cancellationToken);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Relay only: the orchestrator's own call (a text Generate) passed to the stage's Process with the least a relay of
    /// it must do: the request's prompt and text parameters as the stage's header, the stage's text and final messages
    /// back as the client's. The hop's baseline for the same calls on both sides.
    /// </summary>
    private sealed class BareGenerateRelay(Stage.StageClient? next) : Contracts.V1.Omni.OmniBase
    {
        public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
        {
            if (next is null)
            {
                throw new RpcException(new Status(StatusCode.Unimplemented, "A bare receiver does not serve Generate."));
            }
            using var call = next.Process(cancellationToken: context.CancellationToken);
            await call.RequestStream.WriteAsync(new StageInput
            {
                Header = new StageRequest { RequestId = request.RequestId, Prompt = request.Prompt, Text = request.Text, Outputs = { "text" } },
            }, context.CancellationToken);
            await call.RequestStream.CompleteAsync();
            await foreach (var output in call.ResponseStream.ReadAllAsync(context.CancellationToken))
            {
                if (output.KindCase == StageOutput.KindOneofCase.Text)
                {
                    await responseStream.WriteAsync(new GenerateResponse { RequestId = request.RequestId, Text = output.Text }, context.CancellationToken);
                }
                else if (output.KindCase == StageOutput.KindOneofCase.Final)
                {
                    await responseStream.WriteAsync(new GenerateResponse { RequestId = request.RequestId, Final = new GenerateFinal() }, context.CancellationToken);
                }
            }
        }
    }

    private sealed class BarePeerService(Stage.StageClient? next) : Stage.StageBase
    {
        /// <summary>Relay only: passes the unary GetInfo through, for the machine's bare relay cost of a tiny unary call.</summary>
        public override Task<StageInfo> GetInfo(GetInfoRequest request, ServerCallContext context) =>
            next is null
                ? throw new RpcException(new Status(StatusCode.Unimplemented, "A bare receiver does not serve GetInfo."))
                : next.GetInfoAsync(request, cancellationToken: context.CancellationToken).ResponseAsync;

        /// <summary>Relay only: passes a stage call through to the next process, each message as it comes, both ways.</summary>
        public override async Task Process(IAsyncStreamReader<StageInput> requestStream, IServerStreamWriter<StageOutput> responseStream,
            ServerCallContext context)
        {
            if (next is null)
            {
                throw new RpcException(new Status(StatusCode.Unimplemented, "A bare receiver does not serve Process."));
            }
            using var call = next.Process(cancellationToken: context.CancellationToken);
            var forward = Task.Run(async () =>
            {
                while (await requestStream.MoveNext(context.CancellationToken))
                {
                    await call.RequestStream.WriteAsync(requestStream.Current, context.CancellationToken);
                }
                await call.RequestStream.CompleteAsync();
            });
            await foreach (var output in call.ResponseStream.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(output, context.CancellationToken);
            }
            await forward;
        }

        public override async Task PushTransfer(IAsyncStreamReader<TransferMessage> requestStream, IServerStreamWriter<TransferAck> responseStream,
            ServerCallContext context)
        {
            if (next is null)
            {
                uint chunks = 0;
                while (await requestStream.MoveNext(context.CancellationToken))
                {
                    chunks++;
                }
                await responseStream.WriteAsync(new TransferAck { ChunkIndex = chunks - 1 });
                return;
            }

            using var call = next.PushTransfer(cancellationToken: context.CancellationToken);
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                await call.RequestStream.WriteAsync(requestStream.Current, context.CancellationToken);
            }
            await call.RequestStream.CompleteAsync();
            await foreach (var ack in call.ResponseStream.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(ack);
            }
        }
    }
}
