using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Omni.Common.Hosting;

namespace Omni.Orchestrator.Routing;

/// <summary>Channels to stage replicas: message limits, keepalive and connect timeouts, and TLS when configured.</summary>
public sealed class StageChannels(IOptions<EndpointOptions> endpoints, TlsCertificates tls)
{
    /// <summary>The scheme of replica addresses found by DNS: https when calls to stages use TLS.</summary>
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
