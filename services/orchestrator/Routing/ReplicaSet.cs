using Omni.Common.Hosting;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Omni.Orchestrator.Configuration;

namespace Omni.Orchestrator.Routing;

/// <summary>
/// The replicas of one stage: the static addresses plus, when configured, every address a DNS name resolves to
/// (re-resolved periodically, so replicas that appear or disappear are picked up without a restart). Picks the
/// least-loaded ready replica per request, round robin among equals.
/// </summary>
public sealed class ReplicaSet : IAsyncDisposable
{
    private readonly StageOptions _options;
    private readonly PeerChannels _channels;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;
    private Dictionary<string, StageReplica> _replicas = new(StringComparer.Ordinal);
    private Task? _discovery;
    private int _roundRobin;

    public ReplicaSet(int stageId, StageOptions options, PeerChannels channels, ILogger logger)
    {
        StageId = stageId;
        _options = options;
        _channels = channels;
        _logger = logger;
        Name = options.Name ?? $"stage{stageId}";
        Kind = options.Kind ?? "";
        Update(options.StaticAddresses());
    }

    public int StageId { get; }

    public string Name { get; }

    public string Kind { get; }

    public IReadOnlyList<StageReplica> Replicas
    {
        get
        {
            lock (_gate)
            {
                return [.. _replicas.Values];
            }
        }
    }

    /// <summary>Starts DNS re-resolution when a DNS name is configured.</summary>
    public void Start()
    {
        if (!string.IsNullOrWhiteSpace(_options.Dns) && StageOptions.TryParseDns(_options.Dns, out var host, out var port))
        {
            _discovery = Task.Run(() => ResolveLoopAsync(host, port, _stop.Token));
        }
    }

    /// <summary>The least-loaded ready replica, excluding <paramref name="exclude"/>; UNAVAILABLE when there is none.</summary>
    public StageReplica Pick(StageReplica? exclude = null)
    {
        var ready = Replicas.Where(replica => replica.State == ReplicaState.Ready && replica != exclude).ToList();
        if (ready.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"No ready replica of stage {Name} ({Replicas.Count} known)."));
        }
        // One reading of each score: they change under concurrent requests, and two readings could leave no candidate.
        var scored = ready.Select(replica => (Replica: replica, Score: replica.Score)).ToList();
        var best = scored.Min(entry => entry.Score);
        var candidates = scored.Where(entry => entry.Score == best).Select(entry => entry.Replica).ToList();
        var turn = (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)candidates.Count);
        return candidates[turn];
    }

    /// <summary>Waits until at least one replica is ready (or the timeout passes).</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Replicas.Any(replica => replica.State == ReplicaState.Ready))
            {
                return true;
            }
            await Task.Delay(20, cancellationToken);
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync();
        if (_discovery is not null)
        {
            await _discovery.ContinueWith(_ => { }, TaskScheduler.Default);
        }
        foreach (var replica in Replicas)
        {
            await replica.DisposeAsync();
        }
        _stop.Dispose();
    }

    private async Task ResolveLoopAsync(string host, int port, CancellationToken stop)
    {
        var interval = TimeSpan.FromSeconds(_options.DnsRefreshSeconds);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var addresses = await System.Net.Dns.GetHostAddressesAsync(host, stop);
                var resolved = addresses
                    .Where(address => address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                    .Select(address => $"{_channels.Scheme}://{(address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString())}:{port}");
                Update(_options.StaticAddresses().Concat(resolved).ToList());
            }
            catch (SocketException error) when (error.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData)
            {
                // A headless Service with no ready pods resolves to nothing: keep the static replicas only.
                _logger.LogWarning("Resolving {Host} for stage {Stage} found no address ({Error}): keeping the static replicas only",
                    host, Name, error.Message);
                Update(_options.StaticAddresses());
            }
            catch (SocketException error)
            {
                // A transient failure (the DNS server restarting, a dropped packet) says nothing about the pods: keep the
                // replicas known, whose own health watch says whether they serve.
                _logger.LogWarning("Resolving {Host} for stage {Stage} failed ({Error}): keeping its {Count} known replicas until the next try",
                    host, Name, error.Message, Replicas.Count);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await Task.Delay(interval, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Update(IReadOnlyCollection<string> addresses)
    {
        List<StageReplica> removed;
        lock (_gate)
        {
            var next = new Dictionary<string, StageReplica>(StringComparer.Ordinal);
            foreach (var address in addresses.Distinct(StringComparer.Ordinal))
            {
                if (!_replicas.TryGetValue(address, out var replica))
                {
                    _logger.LogInformation("Stage {Stage}: new replica {Address}", Name, address);
                    replica = new StageReplica(Name, Kind, StageId, _options.Produces, address, _channels, _logger);
                }
                next[address] = replica;
            }
            removed = _replicas.Values.Where(replica => !next.ContainsKey(replica.Address)).ToList();
            _replicas = next;
        }
        foreach (var replica in removed)
        {
            _logger.LogInformation("Stage {Stage}: replica {Address} is gone", Name, replica.Address);
            _ = RetireAsync(replica);
        }
    }

    /// <summary>A replica that left discovery finishes the requests bound to it before its channel closes.</summary>
    private static async Task RetireAsync(StageReplica replica)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (replica.Bound > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }
        await replica.DisposeAsync();
    }
}
