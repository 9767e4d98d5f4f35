using System.Diagnostics;
using Omni.Common.Payloads;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>
/// Receives the chunks of one or more named tensors (in any interleaving of whole tensors), timing each chunk's
/// decode: from the chunk's message being in the receiver's hands to its bytes being in place in the tensor.
/// Chunks may arrive from several sources at once (the relayed stream and direct pushes): adds are serialized.
/// </summary>
public sealed class TensorSetReceiver(long maxBytesPerTensor)
{
    private readonly Dictionary<string, TensorAssembler> _assemblers = new(StringComparer.Ordinal);

    public List<ChunkTiming> Timings { get; } = [];

    /// <summary>Adds a chunk and returns its decode time in milliseconds.</summary>
    public double Add(TensorChunk chunk)
    {
        lock (_assemblers)
        {
            return AddLocked(chunk);
        }
    }

    private double AddLocked(TensorChunk chunk)
    {
        var start = Stopwatch.GetTimestamp();
        if (!_assemblers.TryGetValue(chunk.Name, out var assembler))
        {
            assembler = new TensorAssembler(maxBytesPerTensor);
            _assemblers[chunk.Name] = assembler;
        }
        assembler.Add(chunk);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        Timings.Add(new ChunkTiming { Tensor = chunk.Name, Bytes = (ulong)chunk.Data.Length, RxDecodeMs = elapsed });
        return elapsed;
    }

    public bool IsComplete(string name) => _assemblers.TryGetValue(name, out var assembler) && assembler.IsComplete;

    public ReceivedTensor? Get(string name) => _assemblers.TryGetValue(name, out var assembler) && assembler.IsComplete ? assembler.Result() : null;

    /// <summary>Names of tensors that started but did not finish.</summary>
    public IEnumerable<string> Incomplete => _assemblers.Where(pair => !pair.Value.IsComplete).Select(pair => pair.Key);
}
