using Grpc.Core;

namespace Omni.Cli.Bench;

/// <summary>One stage call of a request, from the final message's breakdown.</summary>
public sealed record StageTime(string Stage, uint StageId, uint ReplicaId, double Seconds);

/// <summary>One cross-stage edge of a request, from the final message's breakdown.</summary>
public sealed record TransferTime(uint FromStage, uint ToStage, string Connector, ulong Bytes, double Seconds);

/// <summary>What the client measured of one request (seconds since it was sent), and the breakdown the orchestrator returned.</summary>
public sealed record RequestRecord(int Index, RequestKind Kind, double SentAt, StatusCode Status)
{
    public string? Error { get; init; }

    public double? E2e { get; init; }

    /// <summary>Time to the first text message.</summary>
    public double? Ttft { get; init; }

    /// <summary>Gaps between consecutive text messages.</summary>
    public IReadOnlyList<double> Itl { get; init; } = [];

    /// <summary>(e2e - TTFT) / (completion tokens - 1), for requests with at least two tokens.</summary>
    public double? Tpot { get; init; }

    /// <summary>Time to the first image.</summary>
    public double? ImageTtfp { get; init; }

    /// <summary>The orchestrator's queue time, from the final message.</summary>
    public double? Queue { get; init; }

    public int PromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    public int Images { get; init; }

    /// <summary>Time to the first audio chunk.</summary>
    public double? AudioTtfp { get; init; }

    /// <summary>Time to the last audio chunk divided by <see cref="AudioSeconds"/> (below 1 keeps ahead of playback).</summary>
    public double? AudioRtf { get; init; }

    /// <summary>The audio's length: its chunks' samples (per channel) over the sample rate.</summary>
    public double? AudioSeconds { get; init; }

    /// <summary>Samples per channel over all audio chunks.</summary>
    public long AudioSamples { get; init; }

    public IReadOnlyList<StageTime> Stages { get; init; } = [];

    public IReadOnlyList<TransferTime> Transfers { get; init; } = [];

    public bool Succeeded => Status == StatusCode.OK;
}
