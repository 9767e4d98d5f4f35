using Omni.Common.Validation;
using Omni.Orchestrator.Configuration;

namespace Omni.Orchestrator.Graph;

/// <summary>
/// The pipeline's stages and edges, built once from a validated definition, in topological order (every stage after
/// the stages it consumes from).
/// </summary>
public sealed class PipelineGraph
{
    private PipelineGraph(IReadOnlyList<StageNode> stages, IReadOnlyList<GraphEdge> edges)
    {
        Stages = stages;
        Edges = edges;
    }

    public IReadOnlyList<StageNode> Stages { get; }

    public IReadOnlyList<GraphEdge> Edges { get; }

    /// <summary>The client modalities some stage produces.</summary>
    public IEnumerable<string> ClientOutputs => Stages.SelectMany(stage => stage.ClientOutputs);

    /// <summary>Builds the graph; throws naming every problem when the definition is invalid.</summary>
    public static PipelineGraph Build(PipelineOptions options)
    {
        var errors = PipelineGraphValidator.Validate(options);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid pipeline definition: " + string.Join(" ", errors.Select(error => error.Message)));
        }
        var nodes = options.Stages.Select((stage, index) => new StageNode(stage.Name!, stage.StageId ?? index, stage.Kind!,
            [.. stage.Produces], [.. stage.ClientOutputs], stage)).ToList();
        var byName = nodes.ToDictionary(node => node.Name, StringComparer.Ordinal);
        var edges = new List<GraphEdge>();
        foreach (var node in nodes)
        {
            node.Inputs = [.. node.Options.Inputs.Select(input => new GraphEdge(byName[input.From!], node, [.. input.Tensors], input.Connector,
                input.Partial ?? input.Connector == Connector.Direct, input.MaxChunksInFlight))];
            edges.AddRange(node.Inputs);
        }
        foreach (var node in nodes)
        {
            node.Outputs = [.. edges.Where(edge => edge.From == node)];
        }
        return new PipelineGraph(TopologicalOrder(nodes), edges);
    }

    /// <summary>
    /// The smallest sub-graph that produces the requested client outputs: the stages that send one of them to the
    /// client, and every stage upstream of those. INVALID_ARGUMENT when no stage produces a requested output.
    /// </summary>
    public RequestPlan Plan(IReadOnlyCollection<string> clientOutputs)
    {
        ArgumentNullException.ThrowIfNull(clientOutputs);
        var needed = new HashSet<StageNode>();
        void Need(StageNode stage)
        {
            if (needed.Add(stage))
            {
                foreach (var input in stage.Inputs)
                {
                    Need(input.From);
                }
            }
        }
        foreach (var output in clientOutputs)
        {
            var producer = Stages.FirstOrDefault(stage => stage.ClientOutputs.Contains(output))
                ?? throw RequestValidator.Invalid("outputs", $"must be what this pipeline produces ({string.Join(", ", ClientOutputs)}); it does not produce {output}");
            Need(producer);
        }
        var stages = Stages.Where(needed.Contains).ToList();
        var edges = Edges.Where(edge => needed.Contains(edge.To)).ToList();
        return new RequestPlan(stages.Select(stage => new PlannedStage(stage,
            [.. stage.ClientOutputs.Where(clientOutputs.Contains)],
            [.. edges.Where(edge => edge.To == stage)],
            [.. edges.Where(edge => edge.From == stage)])).ToList(), edges);
    }

    private static List<StageNode> TopologicalOrder(List<StageNode> nodes)
    {
        var ordered = new List<StageNode>();
        var placed = new HashSet<StageNode>();
        while (ordered.Count < nodes.Count)
        {
            // Configuration order among stages whose inputs are placed: the validator has ruled out cycles.
            var next = nodes.First(node => !placed.Contains(node) && node.Inputs.All(input => placed.Contains(input.From)));
            ordered.Add(next);
            placed.Add(next);
        }
        return ordered;
    }
}
