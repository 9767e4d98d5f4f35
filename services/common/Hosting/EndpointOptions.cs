using System.ComponentModel.DataAnnotations;

namespace Omni.Common.Hosting;

/// <summary>Where a service listens: gRPC (h2c) on one port, /metrics (HTTP/1.1) on another, an HTTP API on a third where it has one.</summary>
public sealed class EndpointOptions
{
    public const string SectionName = "Endpoints";

    [Required]
    public string Host { get; set; } = "0.0.0.0";

    [Range(1, 65535)]
    public int GrpcPort { get; set; } = 50051;

    [Range(1, 65535)]
    public int MetricsPort { get; set; } = 9090;

    /// <summary>
    /// The HTTP API's port (HTTP/1.1 and HTTP/2; TLS as on the gRPC port), for services that have one (the
    /// orchestrator's OpenAI-compatible door); 0 turns it off.
    /// </summary>
    [Range(0, 65535)]
    public int HttpPort { get; set; } = 8000;

    /// <summary>Largest gRPC message accepted or sent, in bytes.</summary>
    [Range(1 << 20, 1 << 30)]
    public int MaxMessageBytes { get; set; } = 16 << 20;

    /// <summary>
    /// HTTP/2 receive window per gRPC stream, in bytes. Kestrel's default (768 KiB) is smaller than one 1 MiB tensor
    /// chunk, so a sender would stall on a window update for every chunk it streams in.
    /// </summary>
    [Range(65_535, int.MaxValue)]
    public int Http2StreamWindowBytes { get; set; } = 4 << 20;

    /// <summary>HTTP/2 receive window per connection, shared by its streams, in bytes (Kestrel's default: 1 MiB).</summary>
    [Range(65_535, int.MaxValue)]
    public int Http2ConnectionWindowBytes { get; set; } = 16 << 20;

    /// <summary>Serve gRPC server reflection (for grpcurl and the like); off unless asked for, since it describes every service to anyone.</summary>
    public bool EnableReflection { get; set; }
}
