using System.Diagnostics;

namespace Omni.Common.Tracing;

/// <summary>
/// The spans Omni's own code starts (the gRPC and HTTP spans around them come from the OpenTelemetry instrumentation),
/// and their attribute names. With no listener (tracing off) <see cref="Source"/> starts nothing and every helper here
/// returns at once.
/// </summary>
public static class OmniTrace
{
    public const string SourceName = "Omni";

    public static readonly ActivitySource Source = new(SourceName);

    public const string ModelName = "omni.model_name";
    public const string RequestId = "omni.request_id";
    public const string Outputs = "omni.outputs";
    public const string Stage = "omni.stage";
    public const string StageId = "omni.stage_id";
    public const string ReplicaId = "omni.replica_id";
    public const string StageKind = "omni.stage.kind";
    public const string Connector = "omni.transfer.connector";
    public const string TransferId = "omni.transfer.id";
    public const string Bytes = "omni.transfer.bytes";
    public const string Chunks = "omni.transfer.chunks";
    public const string FromStage = "omni.transfer.from_stage";
    public const string ToStage = "omni.transfer.to_stage";

    /// <summary>The trace this request belongs to (the server span's, continued from the caller's traceparent).</summary>
    public static string CurrentTraceId() =>
        Activity.Current is { TraceId: var id } && id != default ? id.ToHexString() : string.Empty;

    /// <summary>
    /// A span for an interval measured elsewhere (a phase a stage timed, a transfer a connector measured), under the
    /// current span when that one is sampled.
    /// </summary>
    public static Activity? RecordInterval(string name, DateTime startUtc, DateTime endUtc, ActivityKind kind = ActivityKind.Internal)
    {
        if (!Source.HasListeners() || Activity.Current is not { Recorded: true } parent)
        {
            return null;
        }
        var activity = Source.StartActivity(name, kind, parent.Context, startTime: startUtc);
        activity?.SetEndTime(endUtc);
        return activity;
    }
}
