using Omni.Contracts.V1;

namespace Omni.Common.Payloads;

public static class TensorShapes
{
    public static int ElementSize(DataType dtype) => dtype switch
    {
        DataType.Float32 or DataType.Int32 => 4,
        DataType.Float16 or DataType.Bfloat16 => 2,
        DataType.Int64 => 8,
        DataType.Uint8 => 1,
        _ => throw new ArgumentException($"Unsupported tensor dtype {dtype}.", nameof(dtype)),
    };

    public static long ByteCount(DataType dtype, IReadOnlyList<long> shape)
    {
        long elements = 1;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                throw new ArgumentException($"Negative dimension in shape [{string.Join(", ", shape)}].", nameof(shape));
            }
            elements = checked(elements * dimension);
        }
        return checked(elements * ElementSize(dtype));
    }
}
