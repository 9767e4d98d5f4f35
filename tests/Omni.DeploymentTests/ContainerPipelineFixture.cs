using Omni.Testing;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;
using Omni.Cli.Client;
using Omni.Cli.Launching;

namespace Omni.DeploymentTests;

/// <summary>One service container of the test pipeline and the 127.0.0.1 ports it listens on.</summary>
public sealed record ServiceContainer(string Name, string Service, string Replica, IContainer Container, int GrpcPort, int MetricsPort)
{
    /// <summary>The orchestrator's OpenAI-compatible HTTP API; 0 for the stages.</summary>
    public int HttpPort { get; init; }

    public string MetricsUrl => $"http://127.0.0.1:{MetricsPort}/metrics";

    public string GrpcAddress => $"http://127.0.0.1:{GrpcPort}";
}

/// <summary>
/// Builds the four images from deploy/docker/*.Dockerfile (Testcontainers, repository root as context, RUN steps
/// on the host network, base images as they are locally: .ci/run makes the offline stand-ins) and starts the
/// pipeline as containers as the compose file does: two AR replicas, one diffusion replica, a talker (the AR image),
/// one code2wav replica, a video stage (the diffusion image, encoding MP4 with its ffmpeg), the orchestrator serving
/// pipelines/omni.yaml.
/// Every container uses host networking on its own 127.0.0.1 ports, a read-only root file system with tmpfs /tmp
/// and cache (as in Kubernetes), and is waited for through the image's own HEALTHCHECK.
/// </summary>
public sealed class ContainerPipelineFixture : IAsyncLifetime
{
    public const string ImageTag = "deployment-test";
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly List<ServiceContainer> _containers = [];

    /// <summary>Why the container tests cannot run here (no engine); null when they run.</summary>
    public string? SkipReason { get; private set; }

    public IReadOnlyList<ServiceContainer> Containers => _containers;

    public ServiceContainer Orchestrator => _containers.Single(c => c.Service == "omni-orchestrator");

    public OmniClient Client { get; private set; } = null!;

    public TimeSpan ImageBuildTime { get; private set; }

    public static string ImageName(string service) => $"omni/{service}:{ImageTag}";

    public async Task InitializeAsync()
    {
        SkipReason = DockerEngine.UnavailableReason;
        if (SkipReason is not null)
        {
            return;
        }

        var started = DateTime.UtcNow;
        // Sequentially: the first build makes the shared publish stage, the other three take it from the cache.
        foreach (var service in new[] { "orchestrator", "ar-stage", "diffusion-stage", "code2wav-stage" })
        {
            await BuildImageAsync(service);
        }
        ImageBuildTime = DateTime.UtcNow - started;

        var ports = FreePorts.Take(15);
        try
        {
            var stages = new[]
            {
                Create("ar-0", "omni-ar-stage", "ar-stage", 0, 0, ports[0], ports[1]),
                Create("ar-1", "omni-ar-stage", "ar-stage", 0, 1, ports[2], ports[3]),
                Create("diffusion-0", "omni-diffusion-stage", "diffusion-stage", 1, 0, ports[4], ports[5]),
                Create("talker-0", "omni-talker-stage", "ar-stage", 2, 0, ports[6], ports[7],
                    new Dictionary<string, string> { ["Model__BuiltInModel"] = "Talker" }),
                Create("code2wav-0", "omni-code2wav-stage", "code2wav-stage", 3, 0, ports[8], ports[9]),
                Create("video-0", "omni-video-stage", "diffusion-stage", 4, 0, ports[10], ports[11],
                    new Dictionary<string, string> { ["Model__BuiltInModel"] = "Video" }),
            };
            _containers.AddRange(stages);
            await Task.WhenAll(stages.Select(StartAsync));

            var orchestrator = Create("orchestrator", "omni-orchestrator", "orchestrator", null, null, ports[12], ports[13],
                new Dictionary<string, string>
                {
                    // As in docker-compose.yml: the omni pipeline, every replica of each stage, routed by the orchestrator.
                    ["Pipeline__File"] = "/app/pipelines/omni.yaml",
                    ["Pipeline__Stages__0__Addresses"] = $"{stages[0].GrpcAddress},{stages[1].GrpcAddress}",
                    ["Pipeline__Stages__1__Addresses"] = stages[2].GrpcAddress,
                    ["Pipeline__Stages__2__Addresses"] = stages[3].GrpcAddress,
                    ["Pipeline__Stages__3__Addresses"] = stages[4].GrpcAddress,
                    ["Pipeline__Stages__4__Addresses"] = stages[5].GrpcAddress,
                    ["Endpoints__HttpPort"] = $"{ports[14]}",
                }) with { HttpPort = ports[14] };
            _containers.Add(orchestrator);
            await StartAsync(orchestrator);
            Client = new OmniClient(orchestrator.GrpcAddress);
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException($"The container pipeline did not start: {exception.Message}\n{await LogsAsync()}", exception);
        }
    }

    private static async Task BuildImageAsync(string service)
    {
        var image = new ImageFromDockerfileBuilder()
            .WithDockerfileDirectory(RepositoryPaths.Root)
            .WithDockerfile($"deploy/docker/{service}.Dockerfile")
            .WithName(ImageName(service))
            .WithDeleteIfExists(false)
            .WithCleanUp(false)
            // NuGet restore needs a network; the host's, so that no bridge network (172.x) is involved.
            .WithCreateParameterModifier(parameters => parameters.NetworkMode = "host")
            .Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        try
        {
            await image.CreateAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var missing = new List<string>();
            foreach (var baseImage in new[] { "mcr.microsoft.com/dotnet/sdk:10.0", "mcr.microsoft.com/dotnet/aspnet:10.0" })
            {
                try
                {
                    await DockerEngine.GetJsonAsync($"/images/{baseImage}/json");
                }
                catch (HttpRequestException)
                {
                    missing.Add(baseImage);
                }
            }
            var hint = missing.Count == 0 ? ""
                : $" The base images {string.Join(", ", missing)} are not here and could not be pulled: without a registry, run deploy/docker/build-base-images.sh first (.ci/run does).";
            throw new InvalidOperationException($"Building {ImageName(service)} from deploy/docker/{service}.Dockerfile failed: {exception.Message}{hint}", exception);
        }
    }

    private ServiceContainer Create(string name, string service, string image, int? stageId, int? replicaId, int grpcPort, int metricsPort,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["Endpoints__Host"] = "127.0.0.1",
            ["Endpoints__GrpcPort"] = $"{grpcPort}",
            ["Endpoints__MetricsPort"] = $"{metricsPort}",
        };
        if (stageId is not null)
        {
            environment["Stage__StageId"] = $"{stageId}";
            environment["Stage__ReplicaId"] = $"{replicaId}";
            environment["Model__Device"] = "cpu";
            environment["Model__CacheDirectory"] = "/var/cache/omni";
            // Six libtorch processes share two cores here.
            environment["OMP_NUM_THREADS"] = "1";
        }
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }
        var container = new ContainerBuilder(ImageName(image))
            .WithName($"omni-test-{name}-{_suffix}")
            .WithEnvironment(environment)
            .WithLabel("org.omni.service", service)
            .WithLabel("org.omni.replica", replicaId?.ToString() ?? name)
            .WithCreateParameterModifier(parameters =>
            {
                parameters.HostConfig ??= new Docker.DotNet.Models.HostConfig();
                parameters.HostConfig.NetworkMode = "host";
                parameters.HostConfig.ReadonlyRootfs = true;
                parameters.HostConfig.Tmpfs = new Dictionary<string, string>
                {
                    ["/tmp"] = "rw,size=64m",
                    ["/var/cache/omni"] = "rw,size=512m,uid=1654,gid=1654",
                };
            })
            .WithWaitStrategy(Wait.ForUnixContainer().UntilContainerIsHealthy())
            .Build();
        return new ServiceContainer(name, service, replicaId?.ToString() ?? name, container, grpcPort, metricsPort);
    }

    private static async Task StartAsync(ServiceContainer service)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await service.Container.StartAsync(timeout.Token);
    }

    /// <summary>The last lines of every container's log, for failure messages.</summary>
    public async Task<string> LogsAsync()
    {
        var text = new System.Text.StringBuilder();
        foreach (var service in _containers)
        {
            try
            {
                var (stdout, stderr) = await service.Container.GetLogsAsync();
                var lines = (stdout + stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(15);
                text.AppendLine($"--- {service.Name} ---").AppendLine(string.Join('\n', lines));
            }
            catch (Exception exception)
            {
                text.AppendLine($"--- {service.Name}: no logs ({exception.Message})");
            }
        }
        return text.ToString();
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        // Orchestrator first, as a real shutdown would.
        foreach (var service in Enumerable.Reverse(_containers))
        {
            await service.Container.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ContainerPipelineCollection : ICollectionFixture<ContainerPipelineFixture>
{
    public const string Name = "container pipeline";
}
