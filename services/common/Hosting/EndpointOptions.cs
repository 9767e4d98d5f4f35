using System.ComponentModel.DataAnnotations;

namespace Omni.Common.Hosting;

/// <summary>Where a service listens: gRPC (h2c) on one port, /metrics (HTTP/1.1) on another.</summary>
public sealed class EndpointOptions
{
    public const string SectionName = "Endpoints";

    [Required]
    public string Host { get; set; } = "0.0.0.0";

    [Range(1, 65535)]
    public int GrpcPort { get; set; } = 50051;

    [Range(1, 65535)]
    public int MetricsPort { get; set; } = 9090;

    /// <summary>Largest gRPC message accepted or sent, in bytes.</summary>
    [Range(1 << 20, 1 << 30)]
    public int MaxMessageBytes { get; set; } = 16 << 20;
}
