using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Omni.Cli.Launching;
using Omni.Contracts.V1;

namespace Omni.IntegrationTests;

/// <summary>
/// A pipeline with TLS everywhere: stages that accept only callers with a certificate from the deployment's CA
/// (mutual TLS, the orchestrator and the AR stage's direct pushes included), an orchestrator serving TLS to clients.
/// </summary>
public sealed class TlsPipelineFixture : IAsyncLifetime
{
    private readonly List<ServiceProcess> _processes = [];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"omni-tls-{Guid.NewGuid():N}"[..22]);

    public TestCertificates Certificates { get; private set; } = null!;

    public ServiceProcess Orchestrator { get; private set; } = null!;

    public ServiceProcess ArStage { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Certificates = TestCertificates.Create(_directory);
        string[] tls = ["--tls-cert", Certificates.CertificateFile, "--tls-key", Certificates.KeyFile, "--tls-ca", Certificates.CaFile];
        var withCertificate = new ServiceTls(Certificates.CaFile, Certificates.CertificateFile, Certificates.KeyFile);
        var ports = FreePorts.Take(6);
        var diffusion = Start(ServiceKind.DiffusionStage, ports[0], ports[1], 1, ["--stage-id", "1", "--device", "cpu", .. tls, "--tls-require-client-cert"],
            withCertificate);
        ArStage = Start(ServiceKind.ArStage, ports[2], ports[3], 0, ["--stage-id", "0", "--device", "cpu", "--transfer-peers", diffusion.GrpcAddress, .. tls,
            "--tls-require-client-cert"], withCertificate);
        await Task.WhenAll(diffusion.WaitHealthyAsync(TimeSpan.FromMinutes(3), CancellationToken.None),
            ArStage.WaitHealthyAsync(TimeSpan.FromMinutes(3), CancellationToken.None));
        Orchestrator = Start(ServiceKind.Orchestrator, ports[4], ports[5], -1,
            ["--ar-address", ArStage.GrpcAddress, "--diffusion-address", diffusion.GrpcAddress, "--connector", "direct", .. tls],
            new ServiceTls(Certificates.CaFile));
        await Orchestrator.WaitHealthyAsync(TimeSpan.FromMinutes(1), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
        }
    }

    private ServiceProcess Start(ServiceKind kind, int grpcPort, int metricsPort, int stageId, string[] args, ServiceTls tls)
    {
        var process = ServiceProcess.Start(kind, grpcPort, metricsPort, stageId, 0, args, _directory, tls: tls);
        _processes.Add(process);
        return process;
    }
}

public sealed class TlsTests(TlsPipelineFixture fixture) : IClassFixture<TlsPipelineFixture>
{
    [Fact]
    public async Task Generate_OverTls_TextAndImageWithTheDirectPushOverMutualTls()
    {
        using var channel = new ServiceTls(fixture.Certificates.CaFile).Channel(fixture.Orchestrator.GrpcAddress);

        var (text, images, final) = await GenerateAsync(channel);

        Assert.Equal(3, text);
        Assert.Equal(1, images);
        Assert.Equal("direct", final.Transfers.Single().Connector);
    }

    [Fact]
    public async Task HttpDoor_OverTls_ChatCompletionOverHttp2()
    {
        using var http = new HttpClient(new ServiceTls(fixture.Certificates.CaFile).Handler())
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await http.PostAsync(fixture.Orchestrator.HttpAddress + "/v1/chat/completions",
            new StringContent("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal((HttpVersion.Version20, HttpStatusCode.OK), (response.Version, response.StatusCode));
        Assert.StartsWith("https://", fixture.Orchestrator.HttpAddress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_PlaintextClient_Refused()
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{fixture.Orchestrator.GrpcPort}");

        await Assert.ThrowsAsync<RpcException>(() => GenerateAsync(channel));
    }

    [Fact]
    public async Task StageCall_WithTheDeploymentsCertificate_Served()
    {
        using var channel = new ServiceTls(fixture.Certificates.CaFile, fixture.Certificates.CertificateFile, fixture.Certificates.KeyFile)
            .Channel(fixture.ArStage.GrpcAddress);

        var info = await new Stage.StageClient(channel).GetInfoAsync(new GetInfoRequest());

        Assert.Equal("ar", info.Kind);
    }

    [Fact]
    public async Task StageCall_WithoutAClientCertificate_Refused()
    {
        using var channel = new ServiceTls(fixture.Certificates.CaFile).Channel(fixture.ArStage.GrpcAddress);

        await Assert.ThrowsAsync<RpcException>(() => new Stage.StageClient(channel).GetInfoAsync(new GetInfoRequest()).ResponseAsync);
    }

    [Fact]
    public async Task StageCall_WithACertificateFromAnotherCa_Refused()
    {
        using var channel = new ServiceTls(fixture.Certificates.CaFile, fixture.Certificates.RogueCertificateFile, fixture.Certificates.RogueKeyFile)
            .Channel(fixture.ArStage.GrpcAddress);

        await Assert.ThrowsAsync<RpcException>(() => new Stage.StageClient(channel).GetInfoAsync(new GetInfoRequest()).ResponseAsync);
    }

    private static async Task<(int TextTokens, int Images, GenerateFinal Final)> GenerateAsync(GrpcChannel channel)
    {
        using var call = new Contracts.V1.Omni.OmniClient(channel).Generate(Requests.Both(maxTokens: 3), deadline: DateTime.UtcNow.AddMinutes(1));
        var (tokens, images) = (0, 0);
        GenerateFinal? final = null;
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            tokens += response.Text?.TokenIds.Count ?? 0;
            images += response.Image is null ? 0 : 1;
            final = response.Final ?? final;
        }
        return (tokens, images, final!);
    }
}
