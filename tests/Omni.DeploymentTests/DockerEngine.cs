using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace Omni.DeploymentTests;

/// <summary>
/// Whether a Docker engine answers here, and a tiny client of its API over the Unix socket (image inspection,
/// container state). Also prepares Testcontainers for an engine without a registry: no Ryuk (its image cannot be
/// pulled) and the engine's own API version when it is older than the one Testcontainers speaks.
/// </summary>
public static class DockerEngine
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Null when the engine answers; otherwise why the container tests are skipped.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    public static string SocketPath
    {
        get
        {
            var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
            return host is not null && host.StartsWith("unix://", StringComparison.Ordinal) ? host["unix://".Length..] : "/var/run/docker.sock";
        }
    }

    private static string? Probe()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (host is not null && !host.StartsWith("unix://", StringComparison.Ordinal))
        {
            return $"DOCKER_HOST={host} is not a Unix socket; these tests talk to a local engine.";
        }
        if (!File.Exists(SocketPath))
        {
            return $"No Docker engine: {SocketPath} does not exist (install docker.io and start dockerd; .ci/run does).";
        }
        try
        {
            using var http = CreateClient(TimeSpan.FromSeconds(5));
            using var response = http.GetAsync("/_ping").GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
            {
                return $"The Docker engine at {SocketPath} answered /_ping with {(int)response.StatusCode}.";
            }
            if (Environment.GetEnvironmentVariable("DOCKER_API_VERSION") is null
                && response.Headers.TryGetValues("Api-Version", out var versions)
                && Version.TryParse(versions.First(), out var engineVersion) && engineVersion < new Version(1, 44))
            {
                Environment.SetEnvironmentVariable("DOCKER_API_VERSION", engineVersion.ToString());
            }
            if (Environment.GetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED") is null)
            {
                // The fixtures remove their own containers; Ryuk's image would have to be pulled.
                Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
            }
            return null;
        }
        catch (Exception exception) when (exception is HttpRequestException or SocketException or IOException or TaskCanceledException)
        {
            return $"No Docker engine answers at {SocketPath}: {exception.Message}";
        }
    }

    public static HttpClient CreateClient(TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri("http://docker"), Timeout = timeout };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>GET on the engine API, parsed (e.g. "/images/NAME/json", "/containers/ID/json").</summary>
    public static async Task<JsonElement> GetJsonAsync(string path)
    {
        using var http = CreateClient(TimeSpan.FromSeconds(30));
        var json = await http.GetStringAsync(path);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
