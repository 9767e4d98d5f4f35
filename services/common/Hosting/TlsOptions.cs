namespace Omni.Common.Hosting;

/// <summary>
/// Transport security of a service's gRPC port and of its calls to other services, bound from the "Tls" section.
/// Certificates are PEM files (e.g. a cert-manager Secret mounted as tls.crt, tls.key, ca.crt).
/// </summary>
public sealed class TlsOptions
{
    public const string SectionName = "Tls";

    /// <summary>This service's certificate; with <see cref="KeyFile"/>, its gRPC port serves TLS, and it is the client certificate it presents to peers.</summary>
    public string? CertificateFile { get; set; }

    public string? KeyFile { get; set; }

    /// <summary>The CA that signs the deployment's certificates: peers' server certificates must chain to it, and so must client certificates when they are required.</summary>
    public string? CaFile { get; set; }

    /// <summary>Mutual TLS: only callers presenting a certificate that chains to <see cref="CaFile"/> may connect to the gRPC port.</summary>
    public bool RequireClientCertificate { get; set; }

    public bool ServesTls => !string.IsNullOrWhiteSpace(CertificateFile) && !string.IsNullOrWhiteSpace(KeyFile);

    /// <summary>Whether calls to other services use TLS (a CA to check them is configured).</summary>
    public bool CallsTls => !string.IsNullOrWhiteSpace(CaFile);
}
