using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Omni.Common.Engine;
using Omni.Common.Hosting;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>
/// Streams this replica's load to whoever watches it (the orchestrators): one report at once, then one whenever
/// running, waiting or KV usage changes, checked every <see cref="PollInterval"/>, and at least one every
/// <see cref="Heartbeat"/>, so that a watcher can tell a quiet replica from a frozen one. Polling keeps the engine
/// free of any knowledge of its watchers.
/// </summary>
public sealed class LoadReporter(IStageLoad load, IOptions<StageIdentityOptions> identity)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(1);

    public LoadReport Current() => new()
    {
        StageId = (uint)identity.Value.StageId,
        ReplicaId = (uint)identity.Value.ReplicaId,
        Running = (uint)Math.Max(0, load.Running),
        Waiting = (uint)Math.Max(0, load.Waiting),
        KvCacheUsage = (float)load.KvCacheUsage,
    };

    public async IAsyncEnumerable<LoadReport> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = Current();
        var sent = System.Diagnostics.Stopwatch.GetTimestamp();
        yield return last;
        using var timer = new PeriodicTimer(PollInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var now = Current();
            if (!now.Equals(last) || System.Diagnostics.Stopwatch.GetElapsedTime(sent) >= Heartbeat)
            {
                last = now;
                sent = System.Diagnostics.Stopwatch.GetTimestamp();
                yield return now;
            }
        }
    }
}
