using Grpc.Net.Client;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.Pipeline;

/// <summary>
/// One stage replica: its channel and, once asked, who it says it is. A replica whose kind or stage_id does not
/// match its place in the pipeline is refused.
/// </summary>
public sealed class StageEndpoint : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _infoLock = new(1, 1);
    private StageInfo? _info;

    public StageEndpoint(string name, string kind, int stageId, string address, int maxMessageBytes, ILogger logger)
    {
        Name = name;
        Kind = kind;
        StageId = stageId;
        Address = address;
        _logger = logger;
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = maxMessageBytes,
            MaxSendMessageSize = maxMessageBytes,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                ConnectTimeout = TimeSpan.FromSeconds(5),
            },
        });
        Client = new Stage.StageClient(_channel);
    }

    public string Name { get; }

    public string Kind { get; }

    public int StageId { get; }

    public string Address { get; }

    public Stage.StageClient Client { get; }

    /// <summary>The replica's own description, fetched once and checked against the configuration.</summary>
    public async Task<StageInfo> GetInfoAsync(DateTime? deadline, CancellationToken cancellationToken)
    {
        if (_info is { } known)
        {
            return known;
        }
        await _infoLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_info is not null)
            {
                return _info;
            }
            var info = await Client.GetInfoAsync(new GetInfoRequest(), deadline: deadline, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            if (info.Kind != Kind || info.StageId != StageId)
            {
                _logger.LogError("Refusing replica at {Address}: it reports kind {ReportedKind} stage_id {ReportedStage}, but {Stage} is configured as kind {Kind} stage_id {StageId}",
                    Address, info.Kind, info.StageId, Name, Kind, StageId);
                throw new StageMismatchException(
                    $"The replica at {Address} reports kind '{info.Kind}' stage_id {info.StageId}; stage {Name} needs '{Kind}' stage_id {StageId}.");
            }
            _logger.LogInformation("Stage {Stage} at {Address}: replica {ReplicaId}, model {Model}, hidden size {Hidden}, device {Device}",
                Name, Address, info.ReplicaId, info.ModelName, info.HiddenSize, info.Device);
            _info = info;
            return info;
        }
        finally
        {
            _infoLock.Release();
        }
    }

    public void Dispose()
    {
        _channel.Dispose();
        _infoLock.Dispose();
    }
}

public sealed class StageMismatchException(string message) : Exception(message);
