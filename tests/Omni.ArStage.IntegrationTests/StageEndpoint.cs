using Grpc.Core;
using Grpc.Net.Client;
using Omni.Cli.Launching;
using Omni.Contracts.V1;

namespace Omni.ArStage.IntegrationTests;

/// <summary>A running AR stage process and a client of its Stage service that collects one call's outputs.</summary>
public sealed class StageEndpoint(ServiceProcess process) : IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(process.GrpcAddress);

    public ServiceProcess Process => process;

    /// <summary>The replica_id label of this process's series.</summary>
    public string Replica => process.ReplicaId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Stage.StageClient Client => new(_channel);

    /// <summary>Sends one header, reads everything until the final (throws <see cref="RpcException"/> on a failed call).</summary>
    public async Task<StageCallResult> CallAsync(StageRequest header, Action<TextDelta>? onText = null, CancellationToken cancellationToken = default)
    {
        using var call = Client.Process(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new StageInput { Header = header }, cancellationToken);
        await call.RequestStream.CompleteAsync();
        var result = new StageCallResult();
        await foreach (var output in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            switch (output.KindCase)
            {
                case StageOutput.KindOneofCase.Text:
                    result.Text.Add(output.Text);
                    onText?.Invoke(output.Text);
                    break;
                case StageOutput.KindOneofCase.Chunk:
                    result.Add(output.Chunk);
                    break;
                case StageOutput.KindOneofCase.Final:
                    result.Final = output.Final;
                    break;
            }
        }

        return result;
    }

    public static StageRequest TextRequest(string prompt, uint maxTokens, Action<TextParams>? configure = null)
    {
        var text = new TextParams { MaxTokens = maxTokens, Temperature = 0 };
        configure?.Invoke(text);
        return new StageRequest { Prompt = prompt, Text = text, Outputs = { "text" } };
    }

    public void Dispose() => _channel.Dispose();
}
