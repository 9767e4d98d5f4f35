using Omni.Contracts.V1;

namespace Omni.ArStage.IntegrationTests;

/// <summary>What one Stage.Process call returned: text deltas, tensors reassembled by name, the final message.</summary>
public sealed class StageCallResult
{
    private readonly Dictionary<string, (long[] Shape, MemoryStream Bytes)> _tensors = [];

    public List<TextDelta> Text { get; } = [];

    public StageFinal? Final { get; set; }

    public IReadOnlyCollection<string> TensorNames => _tensors.Keys;

    public string FullText => string.Concat(Text.Select(t => t.Text));

    public List<int> TokenIds => [.. Text.SelectMany(t => t.TokenIds)];

    public void Add(TensorChunk chunk)
    {
        if (!_tensors.TryGetValue(chunk.Name, out var tensor))
        {
            tensor = ([.. chunk.Shape], new MemoryStream());
            _tensors[chunk.Name] = tensor;
        }

        Assert.Equal((long)chunk.Offset, tensor.Bytes.Length);
        chunk.Data.WriteTo(tensor.Bytes);
    }

    /// <summary>A float32 tensor's shape and values.</summary>
    public (long[] Shape, float[] Values) Tensor(string name)
    {
        var (shape, bytes) = _tensors[name];
        var values = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes.ToArray(), 0, values, 0, (int)bytes.Length);
        return (shape, values);
    }
}
