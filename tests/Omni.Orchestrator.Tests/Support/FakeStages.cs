using Grpc.Core;
using Omni.Contracts.V1;
using Omni.Orchestrator.Graph;
using Omni.Orchestrator.Routing;

namespace Omni.Orchestrator.Tests.Support;

/// <summary>Binds each stage of a graph to an in-memory fake, and counts the bindings still held.</summary>
public sealed class FakeStages : IReplicaBinder
{
    private readonly Dictionary<string, StageHandler> _handlers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StageHandler> _spares = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<Status>> _ended = new(StringComparer.Ordinal);
    private int _held;

    public int Held => Volatile.Read(ref _held);

    /// <summary>The final status of the first call to <paramref name="stage"/>, once it has ended (whether or not its handler ran).</summary>
    public Task<Status> EndedAsync(string stage) => Ended(stage).Task;

    private TaskCompletionSource<Status> Ended(string stage) =>
        _ended.GetOrAdd(stage, _ => new TaskCompletionSource<Status>(TaskCreationOptions.RunContinuationsAsynchronously));

    public FakeStages Add(string stage, StageHandler handler)
    {
        _handlers[stage] = handler;
        return this;
    }

    /// <summary>A second replica of <paramref name="stage"/>, bound when the first is excluded (a retry).</summary>
    public FakeStages AddSpare(string stage, StageHandler handler)
    {
        _spares[stage] = handler;
        return this;
    }

    public Task<StageBinding> BindAsync(StageNode stage, StageBinding? exclude, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _held);
        var spare = exclude is not null && _spares.ContainsKey(stage.Name);
        var handler = spare ? _spares[stage.Name] : _handlers[stage.Name];
        var info = new StageInfo { Kind = stage.Kind, StageId = (uint)stage.StageId, ReplicaId = (uint)(stage.StageId + (spare ? 20 : 10)) };
        return Task.FromResult(new StageBinding($"http://{stage.Name}{(spare ? "-spare" : "")}.fake:1", info,
            new Stage.StageClient(new InMemoryStageInvoker(handler, status => Ended(stage.Name).TrySetResult(status))),
            new Release(this), _ => { }, CancellationToken.None));
    }

    private sealed class Release(FakeStages stages) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref stages._held);
            }
        }
    }
}
