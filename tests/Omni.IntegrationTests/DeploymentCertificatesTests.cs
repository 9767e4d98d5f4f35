using Omni.Testing;
using System.Diagnostics;
using Omni.Cli.Launching;

namespace Omni.IntegrationTests;

/// <summary>The certificates deploy/tls/make-certs.sh makes for docker compose work with the services' mutual TLS.</summary>
public sealed class DeploymentCertificatesTests
{
    [Fact]
    public async Task MakeCertsScript_Certificates_AStageRequiringClientCertificatesServesTheirHolder()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"omni-make-certs-{Guid.NewGuid():N}"[..28]);
        var (exitCode, output) = await RunAsync(Path.Combine(RepositoryPaths.Root, "deploy", "tls", "make-certs.sh"), directory);
        Assert.True(exitCode == 0, output);
        var (ca, certificate, key) = (Path.Combine(directory, "ca.crt"), Path.Combine(directory, "tls.crt"), Path.Combine(directory, "tls.key"));
        var ports = FreePorts.Take(2);

        await using var stage = ServiceProcess.Start(ServiceKind.ArStage, ports[0], ports[1], 0, 0,
            ["--device", "cpu", "--tls-cert", certificate, "--tls-key", key, "--tls-ca", ca, "--tls-require-client-cert"], directory,
            tls: new ServiceTls(ca, certificate, key));

        // Health is asked over TLS with the script's certificate as the client's: SERVING only if both ends accept it.
        await stage.WaitHealthyAsync(TimeSpan.FromMinutes(2), CancellationToken.None);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string script, string argument)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

}
