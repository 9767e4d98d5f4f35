using System.Globalization;
using System.Text.Json;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// Typed reads of an OpenAI request body's fields. A field of the wrong JSON type is refused naming it; a field that is
/// absent or <c>null</c> reads as absent, as OpenAI's APIs treat it.
/// </summary>
public readonly struct JsonBody(JsonElement root)
{
    public JsonElement Root { get; } = root;

    public static JsonBody Parse(JsonDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? new JsonBody(document.RootElement)
            : throw OpenAiRequestException.Invalid(null, "The request body must be a JSON object.");
    }

    public bool Has(string name) => Root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public JsonElement? Get(string name) => Root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public string? String(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        _ => throw WrongType(name, "a string"),
    };

    public bool? Bool(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw WrongType(name, "a boolean"),
    };

    public float? Float(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetDouble(out var number) && Math.Abs(number) <= float.MaxValue => (float)number,
        _ => throw WrongType(name, "a number"),
    };

    public long? Integer(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var number) => number,
        _ => throw WrongType(name, "an integer"),
    };

    /// <summary>A non-negative integer that fits the proto field it becomes (values past it are refused, not wrapped).</summary>
    public uint? UInt(string name) => Integer(name) switch
    {
        null => null,
        >= 0 and <= uint.MaxValue and var value => (uint)value,
        var value => throw OpenAiRequestException.Invalid(name, $"{name} must be a non-negative integer, got {value}."),
    };

    public int? Int(string name) => Integer(name) switch
    {
        null => null,
        >= int.MinValue and <= int.MaxValue and var value => (int)value,
        var value => throw OpenAiRequestException.Invalid(name, $"{name} is out of range, got {value}."),
    };

    public ulong? UInt64(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetUInt64(out var number) => number,
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var negative) =>
            throw OpenAiRequestException.Invalid(name, $"{name} must be a non-negative integer, got {negative}."),
        _ => throw WrongType(name, "a non-negative integer"),
    };

    /// <summary>A string or an array of strings (as <c>stop</c> is).</summary>
    public IReadOnlyList<string> Strings(string name) => Get(name) switch
    {
        null => [],
        { ValueKind: JsonValueKind.String } value => [value.GetString()!],
        { ValueKind: JsonValueKind.Array } array => [.. array.EnumerateArray().Select((item, i) => item.ValueKind == JsonValueKind.String
            ? item.GetString()!
            : throw WrongType($"{name}[{i}]", "a string"))],
        _ => throw WrongType(name, "a string or an array of strings"),
    };

    public IReadOnlyList<int> Ints(string name) => Get(name) switch
    {
        null => [],
        { ValueKind: JsonValueKind.Array } array => [.. array.EnumerateArray().Select((item, i) =>
            item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var number) ? number : throw WrongType($"{name}[{i}]", "an integer"))],
        _ => throw WrongType(name, "an array of integers"),
    };

    /// <summary>Refuses a field this door cannot honour, rather than silently ignoring what the client asked for.</summary>
    public void Refuse(string name, Func<JsonElement, bool> harmless, string why)
    {
        if (Get(name) is { } value && !harmless(value))
        {
            throw OpenAiRequestException.Invalid(name, $"{name} is not supported: {why}.");
        }
    }

    private static OpenAiRequestException WrongType(string name, string expected) =>
        OpenAiRequestException.Invalid(name, string.Create(CultureInfo.InvariantCulture, $"{name} must be {expected}."));
}
