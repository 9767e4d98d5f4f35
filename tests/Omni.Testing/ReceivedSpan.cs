namespace Omni.Testing;

/// <summary>
/// One span an <see cref="OtlpTraceReceiver"/> received. Ids are lower-case hex (<see cref="ParentSpanId"/> is empty for
/// a root span), <see cref="Kind"/> is the generated SpanKind enum's name ("Server", "Client", "Internal", ...), and
/// attribute values are rendered as strings (numbers in the invariant culture, booleans as "true"/"false").
/// </summary>
public sealed record ReceivedSpan(
    string ServiceName,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    string Kind,
    DateTimeOffset Start,
    DateTimeOffset End,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyDictionary<string, string> ResourceAttributes);
