using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Writes .safetensors files that the Python <c>safetensors</c> package loads: tensors sorted by name, the JSON
/// header padded with spaces to a multiple of 8 bytes, <c>{"format": "pt"}</c> metadata. The output depends only
/// on the tensors, so equal inputs give byte-identical files.
/// </summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IEnumerable<SafetensorsTensor> tensors)
    {
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = BuildHeader(ordered);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(length, header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var tensor in ordered)
        {
            stream.Write(tensor.Data.Span);
        }
    }

    /// <summary>Writes torch tensors (copied to the CPU, contiguous, in their own dtype).</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors) =>
        Write(path, tensors.Select(kv => SafetensorsTensor.FromTensor(kv.Key, kv.Value)));

    private static byte[] BuildHeader(IReadOnlyList<SafetensorsTensor> tensors)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("format", "pt");
            json.WriteEndObject();
            long offset = 0;
            foreach (var tensor in tensors)
            {
                var expected = tensor.Shape.Aggregate(1L, (a, b) => a * b) * SafetensorsDType.ElementSize(tensor.DType);
                if (expected != tensor.Data.Length)
                {
                    throw new ArgumentException(
                        $"Tensor '{tensor.Name}' has {tensor.Data.Length} bytes but shape {SafetensorsEntry.FormatShape(tensor.Shape)} of {tensor.DType} needs {expected}.");
                }

                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType);
                json.WriteStartArray("shape");
                foreach (var dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Data.Length;
            }

            json.WriteEndObject();
        }

        var padding = (int)((8 - buffer.Length % 8) % 8);
        buffer.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        return buffer.ToArray();
    }
}
