using Grpc.Core;
using Omni.Common.Payloads;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.Tests.Support;

/// <summary>Fake stage behaviours: emit a byte tensor, transform one, turn one into an image or text.</summary>
public static class FakeHandlers
{
    public static StageFinal Final(uint promptTokens = 0) => new() { FinishReason = FinishReason.Stop, Usage = new Usage { PromptTokens = promptTokens } };

    /// <summary>Writes <paramref name="data"/> as tensor <paramref name="name"/> in 4-byte chunks, then a final.</summary>
    public static StageHandler Emit(string name, byte[] data) => async (_, _, output, _) =>
    {
        await WriteTensorAsync(output, name, data);
        await output.WriteAsync(new StageOutput { Final = Final(1) });
    };

    /// <summary>Reads the whole input (its chunks' bytes in order) and writes <paramref name="transform"/> of it as <paramref name="name"/>.</summary>
    public static StageHandler Transform(string name, Func<byte[], byte[]> transform, Action<StageRequest>? onHeader = null) => async (header, input, output, token) =>
    {
        onHeader?.Invoke(header);
        var data = await ReadAllAsync(input, token);
        await WriteTensorAsync(output, name, transform(data));
        await output.WriteAsync(new StageOutput { Final = Final() });
    };

    /// <summary>Reads the whole input and sends it to the client as an image whose bytes are the input's.</summary>
    public static StageHandler ToImage(Action<StageRequest>? onHeader = null) => async (header, input, output, token) =>
    {
        onHeader?.Invoke(header);
        var data = await ReadAllAsync(input, token);
        await output.WriteAsync(new StageOutput { Image = new Image { Data = Google.Protobuf.ByteString.CopyFrom(data), Width = 2, Height = 3 } });
        await output.WriteAsync(new StageOutput { Final = Final() });
    };

    /// <summary>Reads the whole input and sends it to the client as text (the bytes as digits).</summary>
    public static StageHandler ToText() => async (_, input, output, token) =>
    {
        var data = await ReadAllAsync(input, token);
        await output.WriteAsync(new StageOutput { Text = new TextDelta { Text = string.Join(",", data) } });
        await output.WriteAsync(new StageOutput { Final = Final() });
    };

    public static async Task WriteTensorAsync(IServerStreamWriter<StageOutput> output, string name, byte[] data)
    {
        foreach (var chunk in TensorChunker.Chunk(name, DataType.Uint8, [data.Length], data, chunkBytes: 4))
        {
            await output.WriteAsync(new StageOutput { Chunk = chunk });
        }
    }

    public static async Task<byte[]> ReadAllAsync(IAsyncStreamReader<StageInput> input, CancellationToken token)
    {
        var bytes = new List<byte>();
        while (await input.MoveNext(token))
        {
            bytes.AddRange(input.Current.Chunk.Data.ToByteArray());
        }
        return [.. bytes];
    }
}
