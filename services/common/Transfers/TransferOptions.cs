using System.ComponentModel.DataAnnotations;

namespace Omni.Common.Transfers;

/// <summary>A stage's bounds on the direct connector and on its inputs, bound from the "Transfers" section.</summary>
public sealed class TransferOptions
{
    public const string SectionName = "Transfers";

    /// <summary>
    /// The replicas this stage may push tensors to (direct connector), comma-separated host:port or http(s) URLs; a
    /// host may be a DNS name (a headless Service), resolved when a push is asked for. A request naming any other
    /// address is refused with PERMISSION_DENIED before a connection is made. Empty: no direct pushes.
    /// </summary>
    public string? Peers { get; set; }

    /// <summary>Direct transfers this replica holds at once, paired or waiting for their other side; more are refused.</summary>
    [Range(1, 10_000)]
    public int MaxIncoming { get; set; } = 32;

    /// <summary>How long a transfer waits for its other side (the push or the request consuming it) before it is dropped.</summary>
    [Range(0.1, 3600)]
    public double UnpairedTimeoutSeconds { get; set; } = 10;

    /// <summary>How long a call's input may make no progress (no chunk relayed or pushed) before the call ends with DEADLINE_EXCEEDED.</summary>
    [Range(0.1, 86_400)]
    public double InputIdleTimeoutSeconds { get; set; } = 600;

    public TimeSpan UnpairedTimeout => TimeSpan.FromSeconds(UnpairedTimeoutSeconds);

    public TimeSpan InputIdleTimeout => TimeSpan.FromSeconds(InputIdleTimeoutSeconds);
}
