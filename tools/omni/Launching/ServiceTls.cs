using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace Omni.Cli.Launching;

/// <summary>
/// How a client reaches a service that serves TLS: the deployment's CA, and the client certificate to present when the
/// service requires one (mutual TLS).
/// </summary>
public sealed record ServiceTls(string CaFile, string? CertificateFile = null, string? KeyFile = null)
{
    public GrpcChannel Channel(string address, int maxReceiveMessageSize = 64 << 20) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = Handler(), MaxReceiveMessageSize = maxReceiveMessageSize });

    /// <summary>An HTTP handler that trusts the deployment's CA only and presents the client certificate, if any.</summary>
    public SocketsHttpHandler Handler()
    {
        var authority = new X509Certificate2Collection();
        authority.ImportFromPemFile(CaFile);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is not X509Certificate2 presented)
                    {
                        return false;
                    }
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(authority);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(presented);
                },
                ClientCertificates = CertificateFile is null ? null : [X509Certificate2.CreateFromPemFile(CertificateFile, KeyFile)],
            },
        };
    }
}
