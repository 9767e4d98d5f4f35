using Grpc.Core;
using Omni.Common.Metrics;

namespace Omni.Cli.Bench;

/// <summary>One quantity measured both by the client and by a service's /metrics, and whether they agree.</summary>
public sealed record MetricAgreement(string Family, string Quantity, double Client, double Server, double Tolerance)
{
    public bool Agrees => Math.Abs(Client - Server) <= Tolerance;

    /// <summary>
    /// Compares what the client saw of a point's requests with the /metrics deltas over the same requests: counts exactly,
    /// histogram means within the width of the bucket that holds them. Names and buckets come from
    /// <see cref="MetricCatalog"/>, the definitions the services export from.
    /// </summary>
    public static IReadOnlyList<MetricAgreement> Compare(MetricsSnapshot before, MetricsSnapshot after, IReadOnlyList<RequestRecord> records)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(records);
        var ok = records.Where(record => record.Succeeded).ToList();
        var results = new List<MetricAgreement>();
        double Delta(MetricDefinition family, string suffix = "", Func<IReadOnlyDictionary<string, string>, bool>? where = null) =>
            after.Sum(family.Name + suffix, where) - before.Sum(family.Name + suffix, where);
        void Count(MetricDefinition family, string quantity, double client, Func<IReadOnlyDictionary<string, string>, bool>? where = null) =>
            results.Add(new MetricAgreement(family.Name, quantity, client, Delta(family, family.Type == MetricType.Histogram ? "_count" : "", where), 0));
        void Mean(MetricDefinition family, string quantity, IReadOnlyList<double> client, Func<IReadOnlyDictionary<string, string>, bool>? where = null,
            string unit = " (s)")
        {
            var count = Delta(family, "_count", where);
            if (client.Count == 0 || count <= 0)
            {
                return;
            }
            var server = Delta(family, "_sum", where) / count;
            results.Add(new MetricAgreement(family.Name, quantity + " mean" + unit, client.Average(), server, BucketWidth(family.Buckets!, server)));
        }

        Count(MetricCatalog.OmniRequestsSuccess, "successful requests", ok.Count,
            labels => labels.GetValueOrDefault(MetricLabels.FinishedReason) is "stop" or "length");
        foreach (var reason in records.Where(record => !record.Succeeded).Select(record => FailureReason(record.Status))
            .Concat(after.Samples.Where(sample => sample.Name == MetricCatalog.OmniRequestsFailed.Name).Select(sample => sample.Labels.GetValueOrDefault(MetricLabels.Reason) ?? ""))
            .Distinct().Order())
        {
            Count(MetricCatalog.OmniRequestsFailed, $"failed requests ({reason})",
                records.Count(record => !record.Succeeded && FailureReason(record.Status) == reason),
                labels => labels.GetValueOrDefault(MetricLabels.Reason) == reason);
        }
        Count(MetricCatalog.OmniE2eLatency, "successful requests", ok.Count);
        Mean(MetricCatalog.OmniE2eLatency, "end to end", [.. ok.Select(record => record.E2e!.Value)]);
        var withText = ok.Where(record => record.Ttft is not null).ToList();
        Count(MetricCatalog.OmniTextTtfp, "requests with text", withText.Count);
        Mean(MetricCatalog.OmniTextTtfp, "time to first text", [.. withText.Select(record => record.Ttft!.Value)]);
        var withImage = ok.Where(record => record.ImageTtfp is not null).ToList();
        Count(MetricCatalog.OmniImageTtfp, "requests with an image", withImage.Count);
        Mean(MetricCatalog.OmniImageTtfp, "time to first image", [.. withImage.Select(record => record.ImageTtfp!.Value)]);
        Count(MetricCatalog.OmniImagesGenerated, "images", ok.Sum(record => record.Images));
        foreach (var stageId in ok.SelectMany(record => record.Stages).Select(stage => stage.StageId).Distinct().Order())
        {
            bool Stage(IReadOnlyDictionary<string, string> labels) => labels.GetValueOrDefault(MetricLabels.StageId) == $"{stageId}";
            var times = ok.SelectMany(record => record.Stages).Where(stage => stage.StageId == stageId).Select(stage => stage.Seconds).ToList();
            Count(MetricCatalog.OmniStageGenTime, $"stage {stageId} calls", times.Count, Stage);
            Mean(MetricCatalog.OmniStageGenTime, $"stage {stageId} time", times, Stage);
        }
        var withAudio = ok.Where(record => record.AudioSeconds is not null).ToList();
        var audio = records.Any(record => record.Kind == RequestKind.Speech || record.AudioSamples > 0) || Delta(MetricCatalog.OmniAudioFrames) != 0;
        if (audio)
        {
            // Duration and RTF are observed only for a request that succeeded with audio.
            Count(MetricCatalog.OmniAudioDuration, "requests with audio", withAudio.Count);
            Mean(MetricCatalog.OmniAudioRtf, "audio real-time factor", [.. withAudio.Select(record => record.AudioRtf!.Value)], unit: "");
        }
        if (ok.Count == records.Count)
        {
            // Only when every request succeeded: a failed one may have queued, generated tokens, or been sent audio
            // before it failed.
            Mean(MetricCatalog.OmniQueueTime, "queue time", [.. ok.Select(record => record.Queue!.Value)]);
            Count(MetricCatalog.GenerationTokens, "generated tokens", ok.Sum(record => record.CompletionTokens));
            if (audio)
            {
                Count(MetricCatalog.OmniAudioTtfp, "requests with audio", withAudio.Count);
                Mean(MetricCatalog.OmniAudioTtfp, "time to first audio", [.. withAudio.Select(record => record.AudioTtfp!.Value)]);
                Count(MetricCatalog.OmniAudioFrames, "audio samples", ok.Sum(record => record.AudioSamples));
            }
        }
        return results;
    }

    /// <summary>The reason label the orchestrator counts a failed request under, from the status the client got.</summary>
    public static string FailureReason(StatusCode status) => status switch
    {
        StatusCode.Cancelled => "client_cancelled",
        StatusCode.DeadlineExceeded => "deadline_exceeded",
        StatusCode.ResourceExhausted => "rejected",
        StatusCode.InvalidArgument => "invalid_argument",
        StatusCode.Unavailable => "stage_unavailable",
        _ => "stage_error",
    };

    /// <summary>The width of the bucket a value falls in: how finely the histogram resolves it.</summary>
    public static double BucketWidth(IReadOnlyList<double> bounds, double value)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        var lower = 0.0;
        foreach (var upper in bounds)
        {
            if (value <= upper)
            {
                return upper - lower;
            }
            lower = upper;
        }
        return double.PositiveInfinity;
    }
}
