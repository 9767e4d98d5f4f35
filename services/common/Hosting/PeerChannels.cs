using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace Omni.Common.Hosting;

/// <summary>
/// Channels to other Omni services (the orchestrator's to stage replicas, a stage's direct pushes to another):
/// message limits, keepalive, a short connect timeout, and TLS when configured.
/// </summary>
public sealed class PeerChannels(IOptions<EndpointOptions> endpoints, TlsCertificates tls)
{
    /// <summary>The scheme of peer addresses found by DNS: https when calls to peers use TLS.</summary>
    public string Scheme => tls.Options.CallsTls ? "https" : "http";

    public GrpcChannel Create(string address)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(3),
        };
        tls.ConfigureClient(handler);
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = endpoints.Value.MaxMessageBytes,
            MaxSendMessageSize = endpoints.Value.MaxMessageBytes,
            HttpHandler = handler,
        });
    }
}
