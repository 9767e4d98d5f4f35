using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>A named tensor ready to be written: dtype name, shape and raw little-endian bytes.</summary>
public sealed record SafetensorsTensor(string Name, string DType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    public static SafetensorsTensor FromFloats(string name, long[] shape, float[] values) =>
        new(name, "F32", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static SafetensorsTensor FromTensor(string name, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var cpu = tensor.detach().cpu().contiguous();
        return new(name, SafetensorsDType.FromScalarType(cpu.dtype), cpu.shape, cpu.bytes.ToArray());
    }
}
