using Omni.Testing;
using System.Text.RegularExpressions;

namespace Omni.DeploymentTests;

/// <summary>Consistency of the deployment files with each other and with the repository (no Docker needed).</summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly string[] Services = ["orchestrator", "ar-stage", "diffusion-stage", "code2wav-stage"];

    /// <summary>
    /// The stages of pipelines/omni.yaml as deployed: name prefix (compose ar-0, Kubernetes omni-ar-stage), stage id,
    /// image, ports. The talker is the AR stage image and the video stage the diffusion stage image, each with its own ports.
    /// </summary>
    private static readonly (string Name, int StageId, string Image, int GrpcPort, int MetricsPort)[] Stages =
    [
        ("ar", 0, "ar-stage", 50061, 9101),
        ("diffusion", 1, "diffusion-stage", 50062, 9102),
        ("talker", 2, "ar-stage", 50063, 9103),
        ("code2wav", 3, "code2wav-stage", 50064, 9104),
        ("video", 4, "diffusion-stage", 50065, 9105),
    ];

    /// <summary>The pipeline definition every deployment serves (Pipeline__File).</summary>
    private const string PipelineFile = "/app/pipelines/omni.yaml";

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
        // Docker's layer cache then builds the publish stage once for all four images.
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
            ["code2wav-stage"] = RepositoryPaths.Read("k8s", "base", "code2wav-stage.yaml"),
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

    [Theory]
    [InlineData("talker", "Talker")]
    [InlineData("video", "Video")]
    public void Ports_AStageOnAnotherStagesImage_OverridesItsPortsAndModelByEnvironment_SoItsHealthCheckFollows(string name, string builtInModel)
    {
        // The image's HEALTHCHECK reads Endpoints__MetricsPort: ports other than the image's must be set by environment.
        var stage = Stages.Single(s => s.Name == name);
        Assert.NotEqual(stage.Name, stage.Image[..stage.Image.IndexOf('-')]);
        var manifest = RepositoryPaths.Read("k8s", "base", $"{name}-stage.yaml");
        Assert.Matches($@"(?m)^          image: omni/{stage.Image}$", manifest);
        Assert.Matches($@"- name: grpc\s+containerPort: {stage.GrpcPort}\b", manifest);
        Assert.Matches($@"- name: metrics\s+containerPort: {stage.MetricsPort}\b", manifest);
        Assert.Matches($@"- name: Endpoints__GrpcPort\s+value: ""{stage.GrpcPort}""", manifest);
        Assert.Matches($@"- name: Endpoints__MetricsPort\s+value: ""{stage.MetricsPort}""", manifest);
        Assert.Matches($@"- name: Model__BuiltInModel\s+value: {builtInModel}\b", manifest);
        Assert.Equal(3, Regex.Matches(manifest, $@"grpc:\s+port: {stage.GrpcPort}\b").Count);

        var compose = ComposeBlock(RepositoryPaths.Read("docker-compose.yml"), $"{name}-0");
        Assert.Contains($"    image: omni/{stage.Image}:latest\n", compose);
        Assert.Contains($"Model__BuiltInModel: {builtInModel} ", compose);
        Assert.Contains($"Endpoints__GrpcPort: \"{stage.GrpcPort}\"", compose);
        Assert.Contains($"Endpoints__MetricsPort: \"{stage.MetricsPort}\"", compose);
    }

    [Fact]
    public void DiffusionStageImage_CarriesFfmpeg_ForTheVideoStage_WithoutRecommendedPackages()
    {
        // The video stage (the diffusion stage image with --builtin-model video) runs ffmpeg from PATH to encode H.264/MP4.
        var dockerfile = Dockerfile("diffusion-stage");
        var runtime = dockerfile[dockerfile.IndexOf("FROM ${RUNTIME_IMAGE}", StringComparison.Ordinal)..];
        var install = Regex.Match(runtime, @"(?m)^RUN (?:.*\\\n)*?.*apt-get install -y --no-install-recommends ffmpeg \\\n(?:.*\\\n)*.*\n");
        Assert.True(install.Success, "the runtime stage installs ffmpeg without recommended packages");
        Assert.Contains("apt-get update", install.Value);
        Assert.Contains("rm -rf /var/lib/apt/lists/*", install.Value);
        // Checked while building: every library loads and it writes H.264 into MP4 with libx264.
        Assert.Contains("-c:v libx264", install.Value);
        Assert.Contains("ffprobe", install.Value);
        // Installed as root, before the image switches to the app user, and before the app is copied (its own layer).
        Assert.True(install.Index < runtime.IndexOf("USER ${APP_UID}", StringComparison.Ordinal));
        Assert.True(install.Index < runtime.IndexOf("COPY --from=build", StringComparison.Ordinal));
        // The other images do not carry it.
        Assert.All(Services.Where(s => s != "diffusion-stage"), service => Assert.DoesNotContain("ffmpeg", Dockerfile(service)));
    }

    [Fact]
    public void Compose_EveryStageReplica_IsScrapedWithItsReplicaLabel()
    {
        var compose = RepositoryPaths.Read("docker-compose.yml");
        var prometheus = RepositoryPaths.Read("deploy", "prometheus", "prometheus.yml");
        var replicas = ComposeStage().Matches(compose)
            .Select(m => (Name: m.Groups["name"].Value, Stage: m.Groups["stage"].Value, Image: m.Groups["image"].Value)).ToList();
        Assert.Equal(["ar-0", "ar-1", "diffusion-0", "talker-0", "code2wav-0", "video-0"], replicas.Select(r => r.Name));
        foreach (var (name, stageName, image) in replicas)
        {
            var stage = Stages.Single(s => s.Name == stageName);
            var ordinal = name[(name.LastIndexOf('-') + 1)..];
            var block = ComposeBlock(compose, name);
            Assert.Equal(stage.Image, image);
            Assert.Contains($"Stage__ReplicaId: \"{ordinal}\"", block);
            Assert.Contains($"Stage__StageId: \"{stage.StageId}\"", block);
            // The ports it listens on: the image's, unless the service sets its own (which the health check then reads).
            var metricsPort = ComposeMetricsPort().Match(block) is { Success: true } own
                ? own.Groups["port"].Value
                : Regex.Match(Dockerfile(image), @"Endpoints__MetricsPort=(\d+)").Groups[1].Value;
            Assert.Equal($"{stage.MetricsPort}", metricsPort);
            Assert.Contains($"- targets: ['{name}:{metricsPort}']\n        labels: {{service: omni-{stageName}-stage, replica: '{ordinal}'}}", prometheus);
            Assert.Contains($"      {name}:\n        condition: service_healthy", ComposeBlock(compose, "orchestrator"));
        }
        Assert.Contains("- targets: ['orchestrator:9100']", prometheus);
        // The orchestrator serves the omni pipeline and routes over every replica the compose file runs.
        var orchestrator = ComposeBlock(compose, "orchestrator");
        Assert.Contains($"Pipeline__File: {PipelineFile}\n", orchestrator);
        foreach (var stage in Stages)
        {
            var addresses = string.Join(',', replicas.Where(r => r.Stage == stage.Name).Select(r => $"http://{r.Name}:{stage.GrpcPort}"));
            Assert.Contains($"Pipeline__Stages__{stage.StageId}__Addresses: {addresses}\n", orchestrator);
        }
    }

    [Fact]
    public void OmniPipeline_DeclaresTheStageIdsKindsAndPortsTheDeploymentsGiveEachStage()
    {
        var definition = RepositoryPaths.Read("services", "orchestrator", "pipelines", Path.GetFileName(PipelineFile));
        var declared = PipelineStage().Matches(definition)
            .Select(m => (m.Groups["name"].Value, int.Parse(m.Groups["id"].Value), m.Groups["kind"].Value, int.Parse(m.Groups["port"].Value)))
            .ToList();
        // Each stage runs the image of its kind (an ar stage the AR image, a diffusion stage the diffusion image) on its ports.
        Assert.Equal(Stages.Select(s => (s.Name, s.StageId, s.Image[..s.Image.IndexOf('-')], s.GrpcPort)), declared);
        // speech.yaml is its first four stages with the same ids, so that the same addresses and flags serve both.
        var speech = PipelineStage().Matches(RepositoryPaths.Read("services", "orchestrator", "pipelines", "speech.yaml"))
            .Select(m => (m.Groups["name"].Value, int.Parse(m.Groups["id"].Value))).ToList();
        Assert.Equal(declared.Take(4).Select(d => (d.Item1, d.Item2)), speech);
        // The orchestrator project ships it next to the binary, where the deployments point Pipeline__File.
        Assert.Contains("<None Include=\"pipelines/*.yaml\" CopyToOutputDirectory=\"PreserveNewest\" CopyToPublishDirectory=\"PreserveNewest\" />",
            RepositoryPaths.Read("services", "orchestrator", "Omni.Orchestrator.csproj"));
    }

    [Fact]
    public void ComposeGpuOverride_PinsEachStageReplicaToItsOwnGpu()
    {
        var gpu = RepositoryPaths.Read("docker-compose.gpu.yml");
        var ids = GpuDeviceIds().Matches(gpu).Select(m => m.Groups["id"].Value).ToList();
        Assert.Equal(["0", "1", "2", "3", "4", "5"], ids);
        Assert.Equal(6, Regex.Matches(gpu, "driver: nvidia").Count);
        Assert.Equal(6, Regex.Matches(gpu, "Model__Device: cuda").Count);
        foreach (var name in new[] { "ar-0", "ar-1", "diffusion-0", "talker-0", "code2wav-0", "video-0" })
        {
            Assert.Matches(@"^  [a-z0-9-]+:\n    image: omni/[a-z0-9-]+:latest-cuda\n", ComposeBlock(gpu, name));
        }
    }

    [Fact]
    public void ComposeTlsOverride_CoversEveryStageReplica_AndTheOrchestratorCallsThemOverHttps()
    {
        var compose = RepositoryPaths.Read("docker-compose.yml");
        var tls = RepositoryPaths.Read("docker-compose.tls.yml");
        // The certificate deploy/tls/make-certs.sh makes names every service (for clients that check host names).
        var certificateNames = Regex.Match(RepositoryPaths.Read("deploy", "tls", "make-certs.sh"), @"(?m)^subjectAltName=(.*)$")
            .Groups[1].Value.Split(',');
        foreach (var name in ComposeStage().Matches(compose).Select(m => m.Groups["name"].Value))
        {
            Assert.Contains($"  {name}:\n    <<: *tls-stage\n", tls);
            Assert.Contains($"DNS:{name}", certificateNames);
        }
        var orchestrator = ComposeBlock(tls, "orchestrator");
        foreach (var stage in Stages)
        {
            var plain = Regex.Match(compose, $@"Pipeline__Stages__{stage.StageId}__Addresses: (\S+)").Groups[1].Value;
            Assert.Contains($"Pipeline__Stages__{stage.StageId}__Addresses: {plain.Replace("http://", "https://")}\n", orchestrator);
        }
    }

    [Fact]
    public void Kubernetes_EveryStageHasItsStatefulSetServiceMonitorAndTls_AndTheOrchestratorFindsItByDns()
    {
        var kustomization = RepositoryPaths.Read("k8s", "base", "kustomization.yaml");
        var orchestrator = RepositoryPaths.Read("k8s", "base", "orchestrator.yaml");
        var serviceMonitors = RepositoryPaths.Read("k8s", "base", "servicemonitors.yaml");
        var networkPolicy = RepositoryPaths.Read("k8s", "base", "networkpolicy.yaml");
        var tlsComponent = RepositoryPaths.Read("k8s", "components", "tls", "kustomization.yaml");
        var tlsServices = RepositoryPaths.Read("k8s", "components", "tls", "services.yaml");
        Assert.Matches($@"- name: Pipeline__File\s+value: {PipelineFile}\n", orchestrator);
        foreach (var stage in Stages)
        {
            var service = $"omni-{stage.Name}-stage";
            var file = $"{stage.Name}-stage.yaml";
            Assert.Contains($"  - {file}\n", kustomization);
            var manifest = RepositoryPaths.Read("k8s", "base", file);
            Assert.Contains($"kind: StatefulSet\nmetadata:\n  name: {service}\n", manifest);
            Assert.Contains($"kind: Service\nmetadata:\n  name: {service}\n", manifest);
            Assert.Contains("  clusterIP: None\n", manifest);
            Assert.Matches($@"(?m)^          image: omni/{stage.Image}$", manifest);
            Assert.Matches($@"- name: Stage__StageId\s+value: ""{stage.StageId}""", manifest);
            Assert.Matches(@"- name: Stage__ReplicaId\s+valueFrom:\s+fieldRef:\s+fieldPath: metadata.labels\['apps.kubernetes.io/pod-index'\]", manifest);
            Assert.Matches(@"envFrom:\s+- configMapRef:\s+name: omni-tracing\s+optional: true", manifest);
            Assert.Matches($@"- name: grpc\s+port: {stage.GrpcPort}\s+targetPort: grpc", manifest);
            Assert.Matches($@"- name: metrics\s+port: {stage.MetricsPort}\s+targetPort: metrics", manifest);

            Assert.Matches($@"- name: Pipeline__Stages__{stage.StageId}__Addresses\s+value: """"", orchestrator);
            Assert.Matches($@"- name: Pipeline__Stages__{stage.StageId}__Dns\s+value: {service}:{stage.GrpcPort}\n", orchestrator);
            Assert.Matches($@"- name: Pipeline__Stages__{stage.StageId}__DnsRefreshSeconds\s+value: ""5""", orchestrator);

            Assert.Contains($"kind: ServiceMonitor\nmetadata:\n  name: {service}\n", serviceMonitors);
            Assert.Matches($@"(?m)^        values: \[.*\b{service}\b.*\]$", networkPolicy);
            Assert.Contains($"  - path: {file}\n", tlsComponent);
            Assert.Matches($@"name: {service}\nspec:\n  ports:\n    - port: {stage.GrpcPort}\n      protocol: TCP\n      appProtocol: https\n", tlsServices);
            var tlsPatch = RepositoryPaths.Read("k8s", "components", "tls", file);
            Assert.Contains($"kind: StatefulSet\nmetadata:\n  name: {service}\n", tlsPatch);
            Assert.Contains($"        - name: {stage.Name}-stage\n", tlsPatch);
            Assert.Contains($"        - name: {stage.Name}-stage\n", manifest);
        }
    }

    [Fact]
    public void Rules_StageAlertsAndReplicaCount_CoverEveryDeployedStage()
    {
        var rules = RepositoryPaths.Read("deploy", "prometheus", "rules", "omni-rules.yml");
        var tests = RepositoryPaths.Read("deploy", "prometheus", "rules", "omni-rules.test.yml");
        var services = string.Join('|', Stages.Select(s => $"omni-{s.Name}-stage"));
        // The replica count, OmniStageDown (none up) and OmniStageReplicaDown select exactly the deployed stages.
        Assert.Equal(3, Regex.Matches(rules, Regex.Escape($"up{{service=~\"{services}\"}}")).Count);
        foreach (var stage in Stages)
        {
            var service = $"omni-{stage.Name}-stage";
            // No target at all (the StatefulSet or the compose service is gone) is down too.
            Assert.Contains($"or absent(up{{service=\"{service}\"}})", rules);
            // The unit tests show each stage's own OmniStageDown alert firing.
            Assert.Contains($"- exp_labels: {{severity: critical, service: {service}}}", tests);
        }
    }

    [Fact]
    public void Dashboard_VideoRow_ShowsEveryVideoFamilyPerStageReplica()
    {
        using var dashboard = System.Text.Json.JsonDocument.Parse(RepositoryPaths.Read("deploy", "grafana", "dashboards", "omni-pipeline.json"));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();
        var row = panels.FindIndex(p => p.GetProperty("type").GetString() == "row" && p.GetProperty("title").GetString()!.StartsWith("Video", StringComparison.Ordinal));
        Assert.True(row >= 0, "no Video row");
        var next = panels.FindIndex(row + 1, p => p.GetProperty("type").GetString() == "row");
        var expressions = panels[(row + 1)..(next < 0 ? panels.Count : next)]
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        foreach (var family in new[] { "vllm:omni_video_ttfp_seconds_bucket", "vllm:omni_video_generation_time_seconds_bucket",
            "vllm:omni_video_frames_total", "vllm:omni_video_duration_seconds_bucket" })
        {
            var uses = expressions.Where(e => e.Contains(family + "[", StringComparison.Ordinal)).ToList();
            Assert.True(uses.Count > 0, $"the Video row does not show {family}");
            Assert.All(uses, e => Assert.Contains("by (stage_id, replica_id", e));
        }
    }

    /// <summary>One service's block of a compose file: from its name to the next blank line.</summary>
    private static string ComposeBlock(string compose, string name)
    {
        var start = compose.IndexOf($"\n  {name}:\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no service {name}");
        var block = compose[(start + 1)..];
        return block[..(block.IndexOf("\n\n", StringComparison.Ordinal) is var end and > 0 ? end + 1 : block.Length)];
    }

    [GeneratedRegex(@"(?m)^EXPOSE (?<grpc>\d+)(?: (?<http>\d+))? (?<metrics>\d+)$")]
    private static partial Regex ExposeLine();

    [GeneratedRegex(@"(?m)^  (?<name>(?<stage>ar|diffusion|talker|code2wav|video)-\d+):\n(?:    .*\n)*?    image: omni/(?<image>[a-z0-9-]+):latest\n")]
    private static partial Regex ComposeStage();

    [GeneratedRegex(@"Endpoints__MetricsPort: ""(?<port>\d+)""")]
    private static partial Regex ComposeMetricsPort();

    [GeneratedRegex(@"(?m)^    - name: (?<name>[a-z0-9]+)\n      stageId: (?<id>\d+)\n(?:      kind: (?<kind>[a-z0-9]+)\n      addresses: http://127\.0\.0\.1:(?<port>\d+)$)?")]
    private static partial Regex PipelineStage();

    [GeneratedRegex(@"device_ids: \[""(?<id>\d+)""\]")]
    private static partial Regex GpuDeviceIds();
}
