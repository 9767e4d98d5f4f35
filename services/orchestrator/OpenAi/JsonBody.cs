using System.Globalization;
using System.Text.Json;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// Typed reads of an OpenAI request body's fields. A field of the wrong JSON type is refused naming it; a field that is
/// absent or <c>null</c> reads as absent, as OpenAI's APIs treat it. A nested object (<see cref="Object"/>) names its
/// fields by their path in the request (<c>audio.top_k</c>).
/// </summary>
public readonly struct JsonBody(JsonElement root, string? path = null)
{
    public JsonElement Root { get; } = root;

    /// <summary>Where this object is in the request (<c>audio</c>); null: the request body itself.</summary>
    public string? Path { get; } = path;

    public static JsonBody Parse(JsonDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? new JsonBody(document.RootElement)
            : throw OpenAiRequestException.Invalid(null, "The request body must be a JSON object.");
    }

    public bool Has(string name) => Root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public JsonElement? Get(string name) => Root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>Whether a field is present by its dotted path (<c>audio.seed</c>).</summary>
    public bool HasPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var dot = path.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? Has(path) : Get(path[..dot]) is { ValueKind: JsonValueKind.Object } inner && new JsonBody(inner).HasPath(path[(dot + 1)..]);
    }

    /// <summary>A nested object, whose fields' errors name their path (<c>audio.top_k</c>).</summary>
    public JsonBody? Object(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Object } value => new JsonBody(value, Name(name)),
        _ => throw WrongType(Name(name), "an object"),
    };

    public string? String(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        _ => throw WrongType(Name(name), "a string"),
    };

    public bool? Bool(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw WrongType(Name(name), "a boolean"),
    };

    public float? Float(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetDouble(out var number) && Math.Abs(number) <= float.MaxValue => (float)number,
        _ => throw WrongType(Name(name), "a number"),
    };

    public long? Integer(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var number) => number,
        _ => throw WrongType(Name(name), "an integer"),
    };

    /// <summary>A non-negative integer that fits the proto field it becomes (values past it are refused, not wrapped).</summary>
    public uint? UInt(string name) => Integer(name) switch
    {
        null => null,
        >= 0 and <= uint.MaxValue and var value => (uint)value,
        var value => throw OpenAiRequestException.Invalid(Name(name), $"{Name(name)} must be a non-negative integer, got {value}."),
    };

    /// <summary>
    /// A count of at least 1 (tokens, images, steps, frames): OpenAI refuses 0 where the proto reads it as "the default",
    /// so a 0 sent here is the client's mistake, not a request for the default.
    /// </summary>
    public uint? Count(string name) => UInt(name) switch
    {
        0 => throw OpenAiRequestException.Invalid(Name(name), $"{Name(name)} must be at least 1, got 0."),
        var value => value,
    };

    public int? Int(string name) => Integer(name) switch
    {
        null => null,
        >= int.MinValue and <= int.MaxValue and var value => (int)value,
        var value => throw OpenAiRequestException.Invalid(Name(name), $"{Name(name)} is out of range, got {value}."),
    };

    public ulong? UInt64(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetUInt64(out var number) => number,
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var negative) =>
            throw OpenAiRequestException.Invalid(Name(name), $"{Name(name)} must be a non-negative integer, got {negative}."),
        _ => throw WrongType(Name(name), "a non-negative integer"),
    };

    /// <summary>A string or an array of strings (as <c>stop</c> is).</summary>
    public IReadOnlyList<string> Strings(string name)
    {
        var at = Name(name);
        return Get(name) switch
        {
            null => [],
            { ValueKind: JsonValueKind.String } value => [value.GetString()!],
            { ValueKind: JsonValueKind.Array } array => [.. array.EnumerateArray().Select((item, i) => item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw WrongType($"{at}[{i}]", "a string"))],
            _ => throw WrongType(at, "a string or an array of strings"),
        };
    }

    public IReadOnlyList<int> Ints(string name)
    {
        var at = Name(name);
        return Get(name) switch
        {
            null => [],
            { ValueKind: JsonValueKind.Array } array => [.. array.EnumerateArray().Select((item, i) =>
                item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var number) ? number : throw WrongType($"{at}[{i}]", "an integer"))],
            _ => throw WrongType(at, "an array of integers"),
        };
    }

    /// <summary>Refuses a field this door cannot honour, rather than silently ignoring what the client asked for.</summary>
    public void Refuse(string name, Func<JsonElement, bool> harmless, string why)
    {
        if (Get(name) is { } value && !harmless(value))
        {
            throw OpenAiRequestException.Invalid(Name(name), $"{Name(name)} is not supported: {why}.");
        }
    }

    private string Name(string name) => Path is null ? name : $"{Path}.{name}";

    /// <summary>The refusal of a field of the wrong JSON type, by its full name.</summary>
    private static OpenAiRequestException WrongType(string at, string expected) =>
        OpenAiRequestException.Invalid(at, string.Create(CultureInfo.InvariantCulture, $"{at} must be {expected}."));
}
