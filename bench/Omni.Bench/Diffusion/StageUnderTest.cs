using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Omni.Bench.Measuring;
using Omni.Cli.Launching;
using Omni.Common.Payloads;
using Omni.Contracts.V1;

namespace Omni.Bench.Diffusion;

/// <summary>A real diffusion stage process started for one configuration, and a gRPC client of it.</summary>
internal sealed class StageUnderTest : IAsyncDisposable
{
    private static readonly HttpClient Http = new();
    private readonly ServiceProcess _process;
    private readonly GrpcChannel _channel;
    private readonly Stage.StageClient _client;

    private StageUnderTest(ServiceProcess process, int conditioningWidth)
    {
        _process = process;
        ConditioningWidth = conditioningWidth;
        _channel = GrpcChannel.ForAddress(process.GrpcAddress);
        _client = new Stage.StageClient(_channel);
    }

    public int ProcessId => _process.ProcessId;

    public int ConditioningWidth { get; }

    public static async Task<StageUnderTest> StartAsync(int maxBatchSize, string device, string logDirectory, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var ports = FreePorts.Take(2);
        var process = ServiceProcess.Start(ServiceKind.DiffusionStage, ports[0], ports[1], stageId: 1, replicaId: 0,
            ["--stage-id", "1", "--replica-id", "0", "--device", device, "--max-batch-size", $"{maxBatchSize}", "--max-waiting", "4096"],
            logDirectory, environment: environment);
        LiveProcesses.Track(process);
        try
        {
            await process.WaitHealthyAsync(TimeSpan.FromSeconds(180), cancellationToken);
            using var channel = GrpcChannel.ForAddress(process.GrpcAddress);
            var info = await new Stage.StageClient(channel).GetInfoAsync(new GetInfoRequest(), cancellationToken: cancellationToken);
            return new StageUnderTest(process, (int)info.HiddenSize);
        }
        catch
        {
            await process.DisposeAsync();
            LiveProcesses.Untrack(process);
            throw;
        }
    }

    public async Task<PhaseTimes> ScrapeAsync(CancellationToken cancellationToken) =>
        PhaseTimes.Parse(await Http.GetStringAsync(_process.MetricsAddress, cancellationToken));

    /// <summary>
    /// One request: the header, then the conditioning in chunks (and the negative prompt's hidden states when the image
    /// has a negative prompt); returns its latency once every image and the final message arrived.
    /// </summary>
    public async Task<TimeSpan> GenerateAsync(ImageParams image, float[] conditioning, CancellationToken cancellationToken,
        float[]? negativeConditioning = null, List<Image>? collect = null)
    {
        var started = Stopwatch.GetTimestamp();
        var tokens = conditioning.Length / ConditioningWidth;
        using var call = _client.Process(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new StageInput
        {
            Header = new StageRequest { RequestId = Guid.NewGuid().ToString("N"), Prompt = "benchmark", Image = image, Inputs = { "hidden_states" }, Outputs = { "image" } },
        }, cancellationToken);
        var chunks = TensorChunker.ChunkFloat32("hidden_states", conditioning, [tokens, ConditioningWidth]);
        if (negativeConditioning is not null)
        {
            chunks = chunks.Concat(TensorChunker.ChunkFloat32("negative_hidden_states", negativeConditioning,
                [negativeConditioning.Length / ConditioningWidth, ConditioningWidth]));
        }
        foreach (var chunk in chunks)
        {
            await call.RequestStream.WriteAsync(new StageInput { Chunk = chunk }, cancellationToken);
        }
        await call.RequestStream.CompleteAsync();

        var images = 0;
        var finished = false;
        await foreach (var output in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            if (output.KindCase == StageOutput.KindOneofCase.Image)
            {
                images++;
                collect?.Add(output.Image);
            }
            finished |= output.KindCase == StageOutput.KindOneofCase.Final;
        }
        var expected = Math.Max(1, (int)image.NumImages);
        if (!finished || images != expected)
        {
            throw new InvalidOperationException($"The stage returned {images} of {expected} images{(finished ? "" : " and no final message")}.");
        }
        return Stopwatch.GetElapsedTime(started);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _process.DisposeAsync();
        LiveProcesses.Untrack(_process);
    }
}
