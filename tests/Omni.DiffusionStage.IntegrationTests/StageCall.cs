using Grpc.Core;
using Omni.Common.Payloads;
using Omni.Contracts.V1;

namespace Omni.DiffusionStage.IntegrationTests;

/// <summary>One Stage.Process call as the orchestrator makes it: the header, then each tensor's chunks; reads every output.</summary>
internal static class StageCall
{
    public const string HiddenStates = "hidden_states";
    public const string NegativeHiddenStates = "negative_hidden_states";
    public const int Width = 256;

    public static StageRequest Header(ImageParams image) => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        Prompt = "a test image",
        Image = image,
        Inputs = { HiddenStates, NegativeHiddenStates },
        Outputs = { "image" },
    };

    /// <summary>[tokens, width] float32 values in [-1, 1) from a fixed seed.</summary>
    public static (string Name, float[] Values, int Tokens) Tensor(string name, int tokens, int seed, int width = Width)
    {
        var random = new Random(seed);
        return (name, Enumerable.Range(0, tokens * width).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray(), tokens);
    }

    public static async Task<(IReadOnlyList<Image> Images, StageFinal Final)> RunAsync(Stage.StageClient client, StageRequest header,
        IEnumerable<(string Name, float[] Values, int Tokens)> tensors, int width = Width, CancellationToken cancellationToken = default)
    {
        var (outputs, final) = await RunOutputsAsync(client, header, tensors, width, cancellationToken);
        return (outputs.Where(output => output.KindCase == StageOutput.KindOneofCase.Image).Select(output => output.Image).ToList(), final);
    }

    /// <summary>A video model's call: its video chunks in order and its final.</summary>
    public static async Task<(IReadOnlyList<VideoChunk> Chunks, StageFinal Final)> RunVideoAsync(Stage.StageClient client, StageRequest header,
        IEnumerable<(string Name, float[] Values, int Tokens)> tensors, CancellationToken cancellationToken = default)
    {
        var (outputs, final) = await RunOutputsAsync(client, header, tensors, Width, cancellationToken);
        return (outputs.Where(output => output.KindCase == StageOutput.KindOneofCase.Video).Select(output => output.Video).ToList(), final);
    }

    public static StageRequest VideoHeader(VideoParams video) => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        Prompt = "a test clip",
        Video = video,
        Inputs = { HiddenStates },
        Outputs = { "video" },
    };

    private static async Task<(List<StageOutput> Outputs, StageFinal Final)> RunOutputsAsync(Stage.StageClient client, StageRequest header,
        IEnumerable<(string Name, float[] Values, int Tokens)> tensors, int width, CancellationToken cancellationToken)
    {
        using var call = client.Process(cancellationToken: cancellationToken);
        try
        {
            await call.RequestStream.WriteAsync(new StageInput { Header = header }, cancellationToken);
            foreach (var (name, values, tokens) in tensors)
            {
                foreach (var chunk in TensorChunker.ChunkFloat32(name, values, [tokens, width]))
                {
                    await call.RequestStream.WriteAsync(new StageInput { Chunk = chunk }, cancellationToken);
                }
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException) when (!cancellationToken.IsCancellationRequested)
        {
            // The stage may end the call (e.g. rejecting the header) before it has read all the input: the
            // status it ended with comes with the responses.
        }

        var outputs = new List<StageOutput>();
        StageFinal? final = null;
        await foreach (var output in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            if (output.KindCase == StageOutput.KindOneofCase.Final)
            {
                final = output.Final;
            }
            else
            {
                outputs.Add(output);
            }
        }
        return (outputs, final ?? throw new InvalidOperationException("The stage ended without a final message."));
    }

    public static ImageParams Small(uint steps = 3, ulong seed = 1) =>
        new() { Width = 64, Height = 64, NumInferenceSteps = steps, Seed = seed };
}
