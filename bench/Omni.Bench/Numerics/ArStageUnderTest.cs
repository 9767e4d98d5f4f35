using Grpc.Core;
using Grpc.Net.Client;
using Omni.Bench.Measuring;
using Omni.Cli.Launching;
using Omni.Contracts.V1;

namespace Omni.Bench.Numerics;

/// <summary>A real AR stage process (built-in model, CPU) started with a given environment, and a client of its Stage service.</summary>
internal sealed class ArStageUnderTest : IAsyncDisposable
{
    private readonly ServiceProcess _process;
    private readonly GrpcChannel _channel;
    private readonly Stage.StageClient _client;

    private ArStageUnderTest(ServiceProcess process)
    {
        _process = process;
        _channel = GrpcChannel.ForAddress(process.GrpcAddress);
        _client = new Stage.StageClient(_channel);
    }

    public static async Task<ArStageUnderTest> StartAsync(string logDirectory, IReadOnlyDictionary<string, string?> environment,
        CancellationToken cancellationToken)
    {
        var ports = FreePorts.Take(2);
        var process = ServiceProcess.Start(ServiceKind.ArStage, ports[0], ports[1], stageId: 0, replicaId: 0,
            ["--stage-id", "0", "--replica-id", "0", "--device", "cpu", "--max-waiting", "4096"], logDirectory, environment: environment);
        LiveProcesses.Track(process);
        try
        {
            await process.WaitHealthyAsync(TimeSpan.FromSeconds(180), cancellationToken);
            return new ArStageUnderTest(process);
        }
        catch
        {
            await process.DisposeAsync();
            LiveProcesses.Untrack(process);
            throw;
        }
    }

    /// <summary>One greedy request run to <paramref name="maxTokens"/>; returns every token id and logprob bit pattern, in order.</summary>
    public async Task<long[]> GenerateAsync(string prompt, uint maxTokens, CancellationToken cancellationToken)
    {
        var text = new TextParams { MaxTokens = maxTokens, Temperature = 0, IgnoreEos = true, Logprobs = 1 };
        using var call = _client.Process(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new StageInput { Header = new StageRequest { RequestId = Guid.NewGuid().ToString("N"), Prompt = prompt, Text = text, Outputs = { "text" } } },
            cancellationToken);
        await call.RequestStream.CompleteAsync();
        var bits = new List<long>();
        await foreach (var output in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            if (output.KindCase == StageOutput.KindOneofCase.Text)
            {
                bits.AddRange(output.Text.Logprobs.SelectMany(logprob => new long[] { logprob.TokenId, BitConverter.SingleToInt32Bits(logprob.Logprob) }));
            }
        }
        if (bits.Count != 2 * maxTokens)
        {
            throw new InvalidOperationException($"The AR stage returned {bits.Count / 2} of {maxTokens} tokens.");
        }
        return [.. bits];
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _process.DisposeAsync();
        LiveProcesses.Untrack(_process);
    }
}
