using System.Diagnostics;
using System.Runtime.InteropServices;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Omni.Cli.Launching;

/// <summary>One running service process: its addresses, its log, health checks and a clean stop (SIGTERM, then kill).</summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly GrpcChannel _channel;
    private readonly TaskCompletionSource _listening;

    private ServiceProcess(ServiceKind kind, Process process, int grpcPort, int metricsPort, int? httpPort, int stageId, int replicaId, string logPath,
        StreamWriter log, ServiceTls? tls, TaskCompletionSource listening)
    {
        _listening = listening;
        HttpPort = httpPort;
        Tls = tls;
        Kind = kind;
        _process = process;
        GrpcPort = grpcPort;
        MetricsPort = metricsPort;
        StageId = stageId;
        ReplicaId = replicaId;
        LogPath = logPath;
        _log = log;
        _channel = tls is null ? GrpcChannel.ForAddress(GrpcAddress) : tls.Channel(GrpcAddress);
    }

    /// <summary>Set when the service serves TLS: how this launcher (and its health checks) reach it.</summary>
    public ServiceTls? Tls { get; }

    public ServiceKind Kind { get; }

    public int GrpcPort { get; }

    public int MetricsPort { get; }

    /// <summary>The orchestrator's HTTP door (OpenAI-compatible API); null for stages and when it is off.</summary>
    public int? HttpPort { get; }

    public string HttpAddress => HttpPort is { } port
        ? $"{(Tls is null ? "http" : "https")}://127.0.0.1:{port}"
        : throw new InvalidOperationException($"{Kind.Name} serves no HTTP API.");

    public int StageId { get; }

    public int ReplicaId { get; }

    public string LogPath { get; }

    public string GrpcAddress => $"{(Tls is null ? "http" : "https")}://127.0.0.1:{GrpcPort}";

    public string MetricsAddress => $"http://127.0.0.1:{MetricsPort}/metrics";

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public static ServiceProcess Start(ServiceKind kind, int grpcPort, int metricsPort, int stageId, int replicaId, IEnumerable<string> extraArgs,
        string logDirectory, Action<string>? echo = null, IReadOnlyDictionary<string, string?>? environment = null, ServiceTls? tls = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ServiceBinaries.Locate(kind));
        var arguments = extraArgs.ToList();
        var httpPort = HttpPortOf(kind, arguments);
        foreach (var argument in new[] { "--host", "127.0.0.1", "--grpc-port", $"{grpcPort}", "--metrics-port", $"{metricsPort}" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name); // not inherited
            }
            else
            {
                start.Environment[name] = value;
            }
        }
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, $"{kind.Name}-{replicaId}-{grpcPort}.log");
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {kind.Name}.");
        void Write(string? line)
        {
            if (line is null)
            {
                return;
            }
            if (IsListeningOn(line, grpcPort))
            {
                listening.TrySetResult();
            }
            lock (log)
            {
                log.WriteLine(line);
            }
            echo?.Invoke($"[{kind.Name}-{replicaId}] {line}");
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServiceProcess(kind, process, grpcPort, metricsPort, httpPort, stageId, replicaId, logPath, log, tls, listening);
    }

    /// <summary>Whether <paramref name="line"/> is Kestrel's "Now listening on: http(s)://host:port" for <paramref name="port"/>.</summary>
    public static bool IsListeningOn(string line, int port)
    {
        ArgumentNullException.ThrowIfNull(line);
        var at = line.IndexOf("Now listening on: ", StringComparison.Ordinal);
        return at >= 0 && line.AsSpan(at).TrimEnd().EndsWith($":{port}", StringComparison.Ordinal);
    }

    /// <summary>
    /// The orchestrator's HTTP port: the one its arguments name (0: off), else a free one added to them, so that
    /// several orchestrators on one machine never reach for the same default port.
    /// </summary>
    private static int? HttpPortOf(ServiceKind kind, List<string> arguments)
    {
        if (kind != ServiceKind.Orchestrator)
        {
            return null;
        }
        var flag = arguments.IndexOf("--http-port");
        if (flag >= 0 && flag + 1 < arguments.Count)
        {
            var port = int.Parse(arguments[flag + 1], System.Globalization.CultureInfo.InvariantCulture);
            return port == 0 ? null : port;
        }
        var free = FreePorts.Take(1)[0];
        arguments.AddRange(["--http-port", $"{free}"]);
        return free;
    }

    /// <summary>
    /// Waits until this process has bound its gRPC port (its own log says so: a free port can be taken by another
    /// process between being picked and bound, whose health service would answer for it) and its gRPC health service
    /// answers SERVING; throws with the log's tail if the process dies or time runs out.
    /// </summary>
    public async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var client = new Health.HealthClient(_channel);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Kind.Name} exited with code {_process.ExitCode} before it was healthy:\n{Tail()}");
            }
            try
            {
                if (_listening.Task.IsCompleted)
                {
                    var reply = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                    if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                    {
                        return;
                    }
                }
            }
            catch (Grpc.Core.RpcException)
            {
                // Not listening yet.
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{Kind.Name} was not healthy after {timeout.TotalSeconds:F0} s:\n{Tail()}");
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>The last lines of the service's log.</summary>
    public string Tail(int lines = 30)
    {
        lock (_log)
        {
            _log.Flush();
        }
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var all = reader.ReadToEnd().Split('\n');
        return string.Join('\n', all.TakeLast(lines));
    }

    /// <summary>Kills the process at once (no drain), as a crash would.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// Stops the process as an orchestrator would (SIGTERM: drain, then exit; killed after <paramref name="timeout"/>,
    /// default 10 s) and returns its exit code.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            {
                _ = SendSignal(_process.Id, 15);
            }
            using var wait = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        // Also when it had already exited: this waits until its last output lines are in the log.
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _channel.Dispose();
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
