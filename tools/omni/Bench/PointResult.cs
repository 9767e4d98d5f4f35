using Grpc.Core;

namespace Omni.Cli.Bench;

/// <summary>One stage (and replica) of the breakdown, summarized over the point's successful requests.</summary>
public sealed record StageSummary(string Stage, uint StageId, uint ReplicaId, Summary Seconds);

/// <summary>One edge of the breakdown, summarized over the point's successful requests.</summary>
public sealed record TransferSummary(uint FromStage, uint ToStage, string Connector, Summary Seconds, double MeanBytes);

/// <summary>Everything one benchmark point measured, as the report prints it and --json writes it.</summary>
public sealed record PointResult(string Load, double DurationSeconds)
{
    public int Sent { get; init; }

    public int Completed { get; init; }

    /// <summary>Requests by final status code name (OK included).</summary>
    public IReadOnlyDictionary<string, int> ByStatus { get; init; } = new Dictionary<string, int>();

    public double RequestThroughput { get; init; }

    public double OutputTokenThroughput { get; init; }

    public double ImageThroughput { get; init; }

    /// <summary>Seconds of audio returned per second of the point.</summary>
    public double AudioSecondThroughput { get; init; }

    public required Summary E2e { get; init; }

    public required Summary Ttft { get; init; }

    public required Summary Itl { get; init; }

    public required Summary Tpot { get; init; }

    public required Summary ImageTtfp { get; init; }

    public required Summary Queue { get; init; }

    /// <summary>Time to the first audio chunk, over the requests that got audio.</summary>
    public Summary AudioTtfp { get; init; } = Summary.Empty;

    /// <summary>Real-time factor (time to the last audio chunk / audio length), over the requests that got audio.</summary>
    public Summary AudioRtf { get; init; } = Summary.Empty;

    public IReadOnlyList<StageSummary> Stages { get; init; } = [];

    public IReadOnlyList<TransferSummary> Transfers { get; init; } = [];

    /// <summary>Requests meeting every objective, per second; null when no objectives were given.</summary>
    public double? Goodput { get; init; }

    /// <summary>The share of sent requests meeting every objective.</summary>
    public double? SloAttainment { get; init; }

    /// <summary>The client's counts and means beside the services' /metrics deltas; empty when not scraped.</summary>
    public IReadOnlyList<MetricAgreement> Metrics { get; init; } = [];

    public static PointResult From(string load, IReadOnlyList<RequestRecord> records, Slo? slo)
    {
        ArgumentNullException.ThrowIfNull(records);
        var ok = records.Where(record => record.Succeeded).ToList();
        var duration = records.Count == 0 ? 0 : records.Max(record => record.SentAt + (record.E2e ?? 0)) - records.Min(record => record.SentAt);
        double PerSecond(double amount) => duration > 0 ? amount / duration : 0;
        var met = slo is null ? 0 : records.Count(slo.IsMetBy);
        return new PointResult(load, duration)
        {
            Sent = records.Count,
            Completed = ok.Count,
            ByStatus = records.GroupBy(record => record.Status).OrderBy(group => group.Key).ToDictionary(group => Name(group.Key), group => group.Count()),
            RequestThroughput = PerSecond(ok.Count),
            OutputTokenThroughput = PerSecond(ok.Sum(record => record.CompletionTokens)),
            ImageThroughput = PerSecond(ok.Sum(record => record.Images)),
            AudioSecondThroughput = PerSecond(ok.Sum(record => record.AudioSeconds ?? 0)),
            E2e = Statistics.Summarize(ok.Select(record => record.E2e ?? double.NaN)),
            Ttft = Statistics.Summarize(ok.Select(record => record.Ttft ?? double.NaN)),
            Itl = Statistics.Summarize(ok.SelectMany(record => record.Itl)),
            Tpot = Statistics.Summarize(ok.Select(record => record.Tpot ?? double.NaN)),
            ImageTtfp = Statistics.Summarize(ok.Select(record => record.ImageTtfp ?? double.NaN)),
            Queue = Statistics.Summarize(ok.Select(record => record.Queue ?? double.NaN)),
            AudioTtfp = Statistics.Summarize(ok.Select(record => record.AudioTtfp ?? double.NaN)),
            AudioRtf = Statistics.Summarize(ok.Select(record => record.AudioRtf ?? double.NaN)),
            Stages = [.. ok.SelectMany(record => record.Stages)
                .GroupBy(stage => (stage.Stage, stage.StageId, stage.ReplicaId))
                .OrderBy(group => group.Key.StageId).ThenBy(group => group.Key.ReplicaId)
                .Select(group => new StageSummary(group.Key.Stage, group.Key.StageId, group.Key.ReplicaId, Statistics.Summarize(group.Select(stage => stage.Seconds))))],
            Transfers = [.. ok.SelectMany(record => record.Transfers)
                .GroupBy(edge => (edge.FromStage, edge.ToStage, edge.Connector))
                .OrderBy(group => group.Key.FromStage).ThenBy(group => group.Key.ToStage)
                .Select(group => new TransferSummary(group.Key.FromStage, group.Key.ToStage, group.Key.Connector,
                    Statistics.Summarize(group.Select(edge => edge.Seconds)), group.Average(edge => (double)edge.Bytes)))],
            Goodput = slo is null ? null : PerSecond(met),
            SloAttainment = slo is null || records.Count == 0 ? null : (double)met / records.Count,
        };
    }

    public static string Name(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.Unavailable => "UNAVAILABLE",
        StatusCode.Cancelled => "CANCELLED",
        StatusCode.Internal => "INTERNAL",
        _ => code.ToString().ToUpperInvariant(),
    };
}
