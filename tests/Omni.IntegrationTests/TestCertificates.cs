using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Omni.IntegrationTests;

/// <summary>A throwaway CA and a service certificate it signs (for 127.0.0.1), as PEM files, plus a rogue pair from another CA.</summary>
public sealed record TestCertificates(string CaFile, string CertificateFile, string KeyFile, string RogueCertificateFile, string RogueKeyFile)
{
    public static TestCertificates Create(string directory)
    {
        Directory.CreateDirectory(directory);
        using var ca = Authority("CN=omni-test-ca");
        using var rogueCa = Authority("CN=someone-else");
        var (certificate, key) = Leaf(ca, "CN=omni-service");
        var (rogue, rogueKey) = Leaf(rogueCa, "CN=omni-service");
        string Write(string name, string pem)
        {
            var path = Path.Combine(directory, name);
            File.WriteAllText(path, pem);
            return path;
        }
        return new TestCertificates(Write("ca.crt", ca.ExportCertificatePem()), Write("tls.crt", certificate), Write("tls.key", key),
            Write("rogue.crt", rogue), Write("rogue.key", rogueKey));
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static (string Certificate, string Key) Leaf(X509Certificate2 authority, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12),
            RandomNumberGenerator.GetBytes(8));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
