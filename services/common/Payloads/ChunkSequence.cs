using Omni.Contracts.V1;

namespace Omni.Common.Payloads;

/// <summary>The order every tensor's chunks keep: one name, consecutive offsets from 0, nothing after the last.</summary>
internal sealed class ChunkSequence
{
    public string? Name { get; private set; }

    /// <summary>Bytes accepted so far.</summary>
    public long Received { get; private set; }

    public bool IsComplete { get; private set; }

    /// <summary>Checks that <paramref name="chunk"/> comes next; true when it is the tensor's first.</summary>
    public bool Accept(TensorChunk chunk)
    {
        if (IsComplete)
        {
            throw new InvalidDataException($"Tensor '{Name}' already complete; unexpected chunk at offset {chunk.Offset}.");
        }
        var first = Name is null;
        if (first)
        {
            if (chunk.Offset != 0)
            {
                throw new InvalidDataException($"Tensor '{chunk.Name}': first chunk at offset {chunk.Offset}.");
            }
            Name = chunk.Name;
        }
        else if (chunk.Name != Name)
        {
            throw new InvalidDataException($"Chunk of tensor '{chunk.Name}' interleaved with tensor '{Name}'.");
        }
        if ((long)chunk.Offset != Received)
        {
            throw new InvalidDataException($"Tensor '{Name}': chunk at offset {chunk.Offset}, expected {Received}.");
        }
        return first;
    }

    /// <summary>The accepted chunk's bytes are in; <paramref name="last"/> ends the tensor.</summary>
    public void Advance(long bytes, bool last)
    {
        Received += bytes;
        IsComplete = last;
    }
}
