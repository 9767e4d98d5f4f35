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

        var images = new List<Image>();
        StageFinal? final = null;
        await foreach (var output in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            switch (output.KindCase)
            {
                case StageOutput.KindOneofCase.Image:
                    images.Add(output.Image);
                    break;
                case StageOutput.KindOneofCase.Final:
                    final = output.Final;
                    break;
            }
        }
        return (images, final ?? throw new InvalidOperationException("The stage ended without a final message."));
    }

    public static ImageParams Small(uint steps = 3, ulong seed = 1) =>
        new() { Width = 64, Height = 64, NumInferenceSteps = steps, Seed = seed };
}
