using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace Omni.Common.Hosting;

/// <summary>
/// The certificates of <see cref="TlsOptions"/>, loaded once, and the one place that applies them: to the gRPC
/// listener (TLS, and client certificates when mutual TLS is on) and to every outgoing channel (server certificates
/// checked against the deployment's CA, this service's certificate presented as the client's). A peer is trusted when
/// its certificate chains to that CA; host names are not checked, since replicas are reached by pod IP.
/// </summary>
public sealed class TlsCertificates
{
    private readonly TlsOptions _options;
    private readonly X509Certificate2? _certificate;
    private readonly X509Certificate2Collection _authority = [];

    public TlsCertificates(IOptions<TlsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        if (_options.ServesTls)
        {
            _certificate = X509Certificate2.CreateFromPemFile(_options.CertificateFile!, _options.KeyFile);
        }
        if (_options.CallsTls)
        {
            _authority.ImportFromPemFile(_options.CaFile!);
        }
        if (_options.RequireClientCertificate && (!_options.ServesTls || !_options.CallsTls))
        {
            throw new OptionsValidationException(TlsOptions.SectionName, typeof(TlsOptions),
                ["Tls:RequireClientCertificate needs Tls:CertificateFile, Tls:KeyFile and Tls:CaFile."]);
        }
    }

    public TlsOptions Options => _options;

    public void ConfigureListener(ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        if (_certificate is null)
        {
            return;
        }
        listen.UseHttps(https =>
        {
            https.ServerCertificate = _certificate;
            if (_options.RequireClientCertificate)
            {
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (certificate, _, _) => ChainsToAuthority(certificate);
            }
        });
    }

    public void ConfigureClient(SocketsHttpHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (!_options.CallsTls)
        {
            return;
        }
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 presented && ChainsToAuthority(presented),
            ClientCertificates = _certificate is null ? null : [_certificate],
        };
    }

    private bool ChainsToAuthority(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
