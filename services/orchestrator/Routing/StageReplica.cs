using Omni.Common.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.Routing;

/// <summary>
/// One replica of a stage as this orchestrator sees it: its channel, who it says it is, the load it reports on its
/// WatchLoad stream, and the requests this orchestrator has bound to it. The watch loop doubles as the health check:
/// a broken stream marks the replica unhealthy until it is re-established.
/// </summary>
public sealed class StageReplica : IAsyncDisposable
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>A replica that sent no load report (they come at least every second) for this long is taken as frozen.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan StalenessCheck = TimeSpan.FromMilliseconds(250);

    /// <summary>A staleness check later than this means this orchestrator itself was paused, not the replica silent.</summary>
    private static readonly TimeSpan MaxCheckGap = TimeSpan.FromSeconds(1);

    private readonly GrpcChannel _channel;
    private readonly ILogger _logger;
    private readonly IReadOnlyCollection<string> _produces;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private int _bound;
    private volatile StageInfo? _info;
    private volatile LoadReport? _load;
    private readonly SilenceWatch _silence = new(StaleAfter, MaxCheckGap, System.Diagnostics.Stopwatch.GetTimestamp());
    private CancellationTokenSource _lost = new();
    private CancellationTokenSource? _watchAttempt;
    private readonly Task _staleness;

    public StageReplica(string stageName, string kind, int stageId, IReadOnlyCollection<string> produces, string address, PeerChannels channels,
        ILogger logger)
    {
        _produces = produces;
        StageName = stageName;
        Kind = kind;
        StageId = stageId;
        Address = address;
        _logger = logger;
        _channel = channels.Create(address);
        Client = new Stage.StageClient(_channel);
        _watch = Task.Run(() => WatchAsync(_stop.Token));
        _staleness = Task.Run(() => WatchStalenessAsync(_stop.Token));
    }

    /// <summary>Cancelled when this replica is found frozen or gone, so that calls bound to it stop waiting on it.</summary>
    public CancellationToken Lost => Volatile.Read(ref _lost).Token;

    public string StageName { get; }

    public string Kind { get; }

    public int StageId { get; }

    public string Address { get; }

    public Stage.StageClient Client { get; }

    public ReplicaState State { get; private set; } = ReplicaState.Connecting;

    public StageInfo? Info => _info;

    /// <summary>The replica_id it reported (metric samples use this, never a guess).</summary>
    public uint ReplicaId => _info?.ReplicaId ?? 0;

    /// <summary>Requests this orchestrator has bound to the replica and not finished.</summary>
    public int Bound => Volatile.Read(ref _bound);

    /// <summary>Load for routing: the replica's own running + waiting, or this orchestrator's bound requests if higher (reports lag).</summary>
    public int Score => Math.Max(Bound, (int)((_load?.Running ?? 0) + (_load?.Waiting ?? 0)));

    public LoadReport? LastLoad => _load;

    /// <summary>Binds one request; dispose the result when the request is done with this replica.</summary>
    public IDisposable Bind()
    {
        Interlocked.Increment(ref _bound);
        return new Binding(this);
    }

    /// <summary>A call to the replica failed at the transport: stop routing to it until its load stream is back.</summary>
    public void ReportFailure(Exception error)
    {
        if (State == ReplicaState.Ready)
        {
            _logger.LogWarning("Replica {Address} of stage {Stage} failed a call ({Error}); skipping it until it recovers",
                Address, StageName, error.Message);
            State = ReplicaState.Unhealthy;
        }
    }

    private async Task WatchStalenessAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(StalenessCheck);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                if (_silence.Check(System.Diagnostics.Stopwatch.GetTimestamp()) is { } silent && State == ReplicaState.Ready)
                {
                    _logger.LogWarning("Replica {Address} of stage {Stage} sent no load report for {Silent:F1} s; skipping it and failing its calls until it reports again",
                        Address, StageName, silent.TotalSeconds);
                    State = ReplicaState.Unhealthy;
                    await Volatile.Read(ref _lost).CancelAsync();
                    if (Volatile.Read(ref _watchAttempt) is { } attempt)
                    {
                        try
                        {
                            await attempt.CancelAsync();
                        }
                        catch (ObjectDisposedException)
                        {
                            // That load stream ended meanwhile; this check must go on for the next one.
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watch.ContinueWith(_ => { }, TaskScheduler.Default);
        await _staleness.ContinueWith(_ => { }, TaskScheduler.Default);
        _channel.Dispose();
        _stop.Dispose();
    }

    private async Task WatchAsync(CancellationToken stop)
    {
        var backoff = MinBackoff;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var info = await Client.GetInfoAsync(new GetInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: stop);
                // A replica that lists its outputs must produce everything the definition says its stage produces.
                var missing = info.Outputs.Count == 0 ? [] : _produces.Except(info.Outputs, StringComparer.Ordinal).ToList();
                if (info.Kind != Kind || info.StageId != StageId || missing.Count > 0)
                {
                    if (State != ReplicaState.Refused)
                    {
                        _logger.LogError("Refusing replica {Address}: it reports kind '{ReportedKind}' stage_id {ReportedStage} producing [{Outputs}], but stage {Stage} is kind '{Kind}' stage_id {StageId} producing [{Produces}]",
                            Address, info.Kind, info.StageId, string.Join(", ", info.Outputs), StageName, Kind, StageId, string.Join(", ", _produces));
                    }
                    State = ReplicaState.Refused;
                    await Task.Delay(MaxBackoff, stop);
                    continue;
                }
                _info = info;
                var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
                Volatile.Write(ref _watchAttempt, attempt);
                try
                {
                    using var watch = Client.WatchLoad(new WatchLoadRequest(), cancellationToken: attempt.Token);
                    await foreach (var report in watch.ResponseStream.ReadAllAsync(attempt.Token))
                    {
                        _load = report;
                        _silence.Heard(System.Diagnostics.Stopwatch.GetTimestamp());
                        MarkReady(info);
                        backoff = MinBackoff;
                    }
                }
                catch (RpcException unimplemented) when (unimplemented.StatusCode == StatusCode.Unimplemented)
                {
                    // A stage without load reports: identity polled as the health check, load known only from our own bindings.
                    _silence.Heard(System.Diagnostics.Stopwatch.GetTimestamp());
                    MarkReady(info);
                    backoff = MinBackoff;
                    while (!stop.IsCancellationRequested)
                    {
                        await Task.Delay(PollInterval, stop);
                        await Client.GetInfoAsync(new GetInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: stop);
                        _silence.Heard(System.Diagnostics.Stopwatch.GetTimestamp());
                    }
                }
                finally
                {
                    // The staleness check cancels the current attempt only: no disposed one stays in reach of it.
                    Interlocked.CompareExchange(ref _watchAttempt, null, attempt);
                    attempt.Dispose();
                }
                State = ReplicaState.Unhealthy;
            }
            catch (Exception error) when (!stop.IsCancellationRequested)
            {
                if (State == ReplicaState.Ready)
                {
                    _logger.LogWarning("Lost replica {Address} of stage {Stage}: {Error}", Address, StageName, error.Message);
                }
                if (State != ReplicaState.Refused)
                {
                    State = ReplicaState.Unhealthy;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await Task.Delay(backoff, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
        }
    }

    private void MarkReady(StageInfo info)
    {
        if (State != ReplicaState.Ready)
        {
            if (Volatile.Read(ref _lost).IsCancellationRequested)
            {
                Volatile.Write(ref _lost, new CancellationTokenSource());
            }
            _logger.LogInformation("Replica {Address} of stage {Stage} is ready: replica_id {ReplicaId}, model {Model}",
                Address, StageName, info.ReplicaId, info.ModelName);
            State = ReplicaState.Ready;
        }
    }

    private sealed class Binding(StageReplica replica) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref replica._bound);
            }
        }
    }
}
