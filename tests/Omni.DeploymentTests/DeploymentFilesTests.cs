using Omni.Testing;
using System.Text.RegularExpressions;

namespace Omni.DeploymentTests;

/// <summary>Consistency of the deployment files with each other and with the repository (no Docker needed).</summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly string[] Services = ["orchestrator", "ar-stage", "diffusion-stage"];

    private static string Dockerfile(string service) => RepositoryPaths.Read("deploy", "docker", $"{service}.Dockerfile");

    private static string BuildStage(string dockerfile)
    {
        var start = dockerfile.IndexOf("ARG SDK_IMAGE=", StringComparison.Ordinal);
        var end = dockerfile.IndexOf("FROM ${RUNTIME_IMAGE}", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "a Dockerfile lost its SDK_IMAGE argument or its runtime stage");
        return dockerfile[start..end];
    }

    [Fact]
    public void Dockerfiles_ShareOneByteIdenticalBuildStage()
    {
        // Docker's layer cache then builds the publish stage once for all three images.
        var stages = Services.Select(s => BuildStage(Dockerfile(s))).ToList();
        Assert.All(stages, stage => Assert.Equal(stages[0], stage));
        Assert.Contains("FROM ${SDK_IMAGE} AS build", stages[0]);
        foreach (var service in Services)
        {
            Assert.Contains($"COPY --from=build /out/{service}/ /app/", Dockerfile(service));
        }
    }

    [Fact]
    public void Dockerfiles_DefaultToTheOfficialBaseImages_AndRunAsNonRoot()
    {
        foreach (var service in Services)
        {
            var text = Dockerfile(service);
            Assert.Contains("ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0", text);
            Assert.Contains("ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0", text);
            Assert.Matches(@"(?m)^USER \$\{APP_UID\}$", text);
            Assert.Matches(@"(?m)^HEALTHCHECK .*omni-healthcheck", text);
        }
    }

    [Fact]
    public void Dockerfiles_RestoreLayer_CopiesEveryServiceProject()
    {
        // The restore layer copies project files one by one: a new project under services/ must be listed there.
        var buildStage = BuildStage(Dockerfile("orchestrator"));
        var projects = Directory.GetFiles(RepositoryPaths.Combine("services"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(RepositoryPaths.Root, p).Replace('\\', '/'));
        foreach (var project in projects)
        {
            Assert.Contains($"COPY {project} {Path.GetDirectoryName(project)!.Replace('\\', '/')}/", buildStage);
        }
    }

    [Fact]
    public void Ports_AgreeBetweenImagesAndKubernetes()
    {
        var manifests = new Dictionary<string, string>
        {
            ["orchestrator"] = RepositoryPaths.Read("k8s", "base", "orchestrator.yaml"),
            ["ar-stage"] = RepositoryPaths.Read("k8s", "base", "ar-stage.yaml"),
            ["diffusion-stage"] = RepositoryPaths.Read("k8s", "base", "diffusion-stage.yaml"),
        };
        foreach (var service in Services)
        {
            var exposed = ExposeLine().Match(Dockerfile(service));
            Assert.True(exposed.Success, service);
            var (grpc, metrics) = (exposed.Groups["grpc"].Value, exposed.Groups["metrics"].Value);
            Assert.Contains($"Endpoints__GrpcPort={grpc}", Dockerfile(service));
            Assert.Contains($"Endpoints__MetricsPort={metrics}", Dockerfile(service));
            Assert.Matches($"- name: grpc\\s+containerPort: {grpc}\\b", manifests[service]);
            Assert.Matches($"- name: metrics\\s+containerPort: {metrics}\\b", manifests[service]);
            // The orchestrator's HTTP API (the OpenAI-compatible door); the stages have none.
            Assert.Equal(service == "orchestrator", exposed.Groups["http"].Success);
            if (exposed.Groups["http"].Success)
            {
                Assert.Contains($"Endpoints__HttpPort={exposed.Groups["http"].Value}", Dockerfile(service));
                Assert.Matches($"- name: http\\s+containerPort: {exposed.Groups["http"].Value}\\b", manifests[service]);
            }
        }
    }

    [Fact]
    public void Compose_EveryStageReplica_IsScrapedWithItsReplicaLabel()
    {
        var compose = RepositoryPaths.Read("docker-compose.yml");
        var prometheus = RepositoryPaths.Read("deploy", "prometheus", "prometheus.yml");
        var replicas = ComposeStage().Matches(compose).Select(m => (Name: m.Groups["name"].Value, Kind: m.Groups["kind"].Value)).ToList();
        Assert.Equal(["ar-0", "ar-1", "diffusion-0"], replicas.Select(r => r.Name));
        foreach (var (name, kind) in replicas)
        {
            var ordinal = name[(name.LastIndexOf('-') + 1)..];
            var block = compose[compose.IndexOf($"  {name}:\n", StringComparison.Ordinal)..];
            block = block[..(block.IndexOf("\n\n", StringComparison.Ordinal) is var end and > 0 ? end : block.Length)];
            Assert.Contains($"Stage__ReplicaId: \"{ordinal}\"", block);
            Assert.Contains($"Stage__StageId: \"{(kind == "ar-stage" ? 0 : 1)}\"", block);
            var port = kind == "ar-stage" ? 9101 : 9102;
            Assert.Contains($"- targets: ['{name}:{port}']\n        labels: {{service: omni-{kind}, replica: '{ordinal}'}}", prometheus);
        }
        Assert.Contains("- targets: ['orchestrator:9100']", prometheus);
        // The orchestrator routes over every replica the compose file runs.
        Assert.Contains("Pipeline__Stages__0__Addresses: http://ar-0:50061,http://ar-1:50061", compose);
        Assert.Contains("Pipeline__Stages__1__Addresses: http://diffusion-0:50062", compose);
    }

    [Fact]
    public void ComposeGpuOverride_PinsEachStageReplicaToItsOwnGpu()
    {
        var gpu = RepositoryPaths.Read("docker-compose.gpu.yml");
        var ids = GpuDeviceIds().Matches(gpu).Select(m => m.Groups["id"].Value).ToList();
        Assert.Equal(["0", "1", "2"], ids);
        Assert.Equal(3, Regex.Matches(gpu, "driver: nvidia").Count);
        Assert.Equal(3, Regex.Matches(gpu, "Model__Device: cuda").Count);
    }

    [GeneratedRegex(@"(?m)^EXPOSE (?<grpc>\d+)(?: (?<http>\d+))? (?<metrics>\d+)$")]
    private static partial Regex ExposeLine();

    [GeneratedRegex(@"(?m)^  (?<name>(ar|diffusion)-\d+):\n(?:    .*\n)*?    image: omni/(?<kind>[a-z-]+):latest")]
    private static partial Regex ComposeStage();

    [GeneratedRegex(@"device_ids: \[""(?<id>\d+)""\]")]
    private static partial Regex GpuDeviceIds();
}
