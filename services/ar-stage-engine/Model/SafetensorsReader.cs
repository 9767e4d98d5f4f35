using System.Text.Json;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Reads a .safetensors file: an 8-byte little-endian header length, a JSON header, then the raw tensor data.
/// Tensors are read one at a time, so a checkpoint never needs to be in memory twice.
/// </summary>
public sealed class SafetensorsReader : IDisposable
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly FileStream _stream;
    private readonly long _dataStart;

    public SafetensorsReader(string path)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            (Entries, Metadata, _dataStart) = ReadHeader(_stream, path);
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads a tensor into a new CPU tensor of its stored dtype.</summary>
    public Tensor Read(string name)
    {
        var entry = Entries.TryGetValue(name, out var e)
            ? e
            : throw new KeyNotFoundException($"'{Path}' has no tensor '{name}'.");
        var length = entry.End - entry.Begin;
        if (length > Array.MaxLength)
        {
            throw new NotSupportedException($"Tensor '{name}' is {length} bytes; tensors over {Array.MaxLength} bytes are not supported.");
        }

        var buffer = new byte[length];
        _stream.Position = _dataStart + entry.Begin;
        _stream.ReadExactly(buffer);
        var tensor = empty(entry.Shape, dtype: SafetensorsDType.ToScalarType(entry.DType));
        tensor.bytes = buffer;
        return tensor;
    }

    public void Dispose() => _stream.Dispose();

    private static (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>, long) ReadHeader(FileStream stream, string path)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BitConverter.ToInt64(lengthBytes);
        if (!BitConverter.IsLittleEndian)
        {
            headerLength = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(headerLength);
        }

        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > stream.Length)
        {
            throw new InvalidDataException($"'{path}' is not a safetensors file (header length {headerLength}).");
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataStart = 8 + headerLength;
        var dataLength = stream.Length - dataStart;

        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        using var json = JsonDocument.Parse(header);
        foreach (var property in json.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                foreach (var m in property.Value.EnumerateObject())
                {
                    metadata[m.Name] = m.Value.ToString();
                }

                continue;
            }

            var value = property.Value;
            var dtype = value.GetProperty("dtype").GetString() ?? "";
            var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (offsets.Length != 2)
            {
                throw new InvalidDataException($"'{path}': tensor '{property.Name}' has invalid data offsets.");
            }

            var entry = new SafetensorsEntry(property.Name, dtype, shape, offsets[0], offsets[1]);
            if (entry.Begin < 0 || entry.End < entry.Begin || entry.End > dataLength
                || entry.End - entry.Begin != entry.ElementCount * SafetensorsDType.ElementSize(dtype))
            {
                throw new InvalidDataException($"'{path}': tensor '{property.Name}' has invalid data offsets.");
            }

            entries.Add(property.Name, entry);
        }

        return (entries, metadata, dataStart);
    }
}
