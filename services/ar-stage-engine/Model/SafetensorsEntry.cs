namespace Omni.ArStage.Model;

/// <summary>One tensor's header record: dtype, shape and byte range relative to the start of the data section.</summary>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public static string FormatShape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
