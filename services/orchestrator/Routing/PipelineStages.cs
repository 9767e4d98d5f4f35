using Microsoft.Extensions.Options;
using Omni.Common.Hosting;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Graph;

namespace Omni.Orchestrator.Routing;

/// <summary>The pipeline's graph and, per stage, its set of replicas (discovered, watched, picked least-loaded).</summary>
public sealed class PipelineStages : IHostedService, IAsyncDisposable
{
    private readonly Dictionary<StageNode, ReplicaSet> _sets;
    private int _disposed;

    public PipelineStages(IOptions<PipelineOptions> pipeline, PeerChannels channels, ILogger<PipelineStages> logger)
    {
        Graph = PipelineGraph.Build(pipeline.Value);
        _sets = Graph.Stages.ToDictionary(node => node, node => new ReplicaSet(node.StageId, node.Options, channels, logger));
    }

    public PipelineGraph Graph { get; }

    public ReplicaSet this[StageNode stage] => _sets[stage];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var set in _sets.Values)
        {
            set.Start();
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // The container disposes this instance twice: once as the singleton, once as the hosted service its factory returned.
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        foreach (var set in _sets.Values)
        {
            await set.DisposeAsync();
        }
    }
}
