using Omni.Contracts.V1;

namespace Omni.Orchestrator.Routing;

/// <summary>One replica bound to one stage of one request: how to call it and who it said it is. Dispose to release it.</summary>
public sealed class StageBinding(string address, StageInfo? info, Stage.StageClient client, IDisposable lease, Action<Exception> reportFailure,
    CancellationToken lost) : IDisposable
{
    /// <summary>Cancelled when the replica is found frozen or gone while the request is bound to it.</summary>
    public CancellationToken Lost => lost;

    public string Address => address;

    public StageInfo? Info => info;

    /// <summary>The replica_id it reported (metric samples use this, never a guess).</summary>
    public uint ReplicaId => info?.ReplicaId ?? 0;

    public Stage.StageClient Client => client;

    /// <summary>A call to the replica failed at the transport: routing skips it until it recovers.</summary>
    public void ReportFailure(Exception error) => reportFailure(error);

    public void Dispose() => lease.Dispose();
}
