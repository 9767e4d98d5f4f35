using Omni.Orchestrator.Configuration;

namespace Omni.Orchestrator.Graph;

/// <summary>Checks a pipeline definition at start; every error names the stage or edge it is about.</summary>
public static class PipelineGraphValidator
{
    public static IReadOnlyList<GraphError> Validate(PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<GraphError>();
        void Error(string key, string message) => errors.Add(new GraphError($"Pipeline:Stages:{key}", message));
        var stages = options.Stages;
        if (stages.Count == 0)
        {
            errors.Add(new GraphError("Pipeline:Stages", "The pipeline has no stages."));
            return errors;
        }

        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        var byId = new Dictionary<int, string>();
        for (var i = 0; i < stages.Count; i++)
        {
            var stage = stages[i];
            var name = stage.Name ?? "";
            if (string.IsNullOrWhiteSpace(stage.Name))
            {
                Error($"{i}:Name", $"Stage {i} has no name.");
            }
            else if (!byName.TryAdd(name, i))
            {
                Error($"{i}:Name", $"Stage name '{name}' is used by stages {byName[name]} and {i}.");
            }
            var id = stage.StageId ?? i;
            if (id is < 0 or > 63)
            {
                Error($"{i}:StageId", $"Stage '{name}' stage_id {id} is outside [0, 63].");
            }
            else if (!byId.TryAdd(id, name))
            {
                Error($"{i}:StageId", $"Duplicate stage_id {id}: stages '{byId[id]}' and '{name}'.");
            }
            if (string.IsNullOrWhiteSpace(stage.Kind))
            {
                Error($"{i}:Kind", $"Stage '{name}' has no kind.");
            }
            ValidateReplicas(stage, i, name, Error);
        }
        if (errors.Count > 0)
        {
            return errors;
        }

        var clientProducers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < stages.Count; i++)
        {
            var stage = stages[i];
            foreach (var output in stage.ClientOutputs)
            {
                if (!Modalities.All.Contains(output))
                {
                    Error($"{i}:ClientOutputs", $"Stage '{stage.Name}' sends '{output}' to the client, which is not an output the API has ({string.Join(", ", Modalities.All)}).");
                }
                else if (!stage.Produces.Contains(output))
                {
                    Error($"{i}:ClientOutputs", $"Stage '{stage.Name}' sends '{output}' to the client but does not produce it (it produces {List(stage.Produces)}).");
                }
                else if (!clientProducers.TryAdd(output, stage.Name!))
                {
                    Error($"{i}:ClientOutputs", $"Stages '{clientProducers[output]}' and '{stage.Name}' both send '{output}' to the client; one stage must.");
                }
            }

            var received = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var j = 0; j < stage.Inputs.Count; j++)
            {
                var input = stage.Inputs[j];
                var edge = $"Stage '{stage.Name}' input {j}";
                if (string.IsNullOrWhiteSpace(input.From) || !byName.TryGetValue(input.From, out var from))
                {
                    Error($"{i}:Inputs:{j}:From", $"{edge} comes from unknown stage '{input.From}'.");
                    continue;
                }
                if (input.Tensors.Count == 0)
                {
                    Error($"{i}:Inputs:{j}:Tensors", $"{edge} (from '{input.From}') carries no tensors.");
                }
                foreach (var tensor in input.Tensors)
                {
                    if (!stages[from].Produces.Contains(tensor))
                    {
                        Error($"{i}:Inputs:{j}:Tensors", $"{edge} needs '{tensor}' from stage '{input.From}', which does not produce it (it produces {List(stages[from].Produces)}).");
                    }
                    else if (!received.TryAdd(tensor, input.From))
                    {
                        Error($"{i}:Inputs:{j}:Tensors", $"{edge} receives '{tensor}' from '{input.From}', but it already receives '{tensor}' from '{received[tensor]}'.");
                    }
                }
                if (input.Connector == Connector.Direct && input.Partial == false)
                {
                    Error($"{i}:Inputs:{j}:Partial", $"{edge} (from '{input.From}') uses the direct connector, which streams; Partial cannot be false.");
                }
                if (input.MaxChunksInFlight is < 1 or > 1024)
                {
                    Error($"{i}:Inputs:{j}:MaxChunksInFlight", $"{edge} (from '{input.From}') MaxChunksInFlight must be in [1, 1024].");
                }
            }
        }
        if (clientProducers.Count == 0)
        {
            errors.Add(new GraphError("Pipeline:Stages", "No stage sends anything to the client (ClientOutputs)."));
        }
        if (errors.Count == 0 && FindCycle(stages, byName) is { } cycle)
        {
            errors.Add(new GraphError("Pipeline:Stages", $"The stages form a cycle: {string.Join(" -> ", cycle)}."));
        }
        return errors;
    }

    private static void ValidateReplicas(StageOptions stage, int i, string name, Action<string, string> error)
    {
        if (stage.StaticAddresses().Count == 0 && string.IsNullOrWhiteSpace(stage.Dns))
        {
            error($"{i}", $"Stage '{name}' needs Addresses or Dns.");
        }
        foreach (var address in stage.StaticAddresses())
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                error($"{i}:Addresses", $"Stage '{name}' address '{address}' is not an http(s) URL.");
            }
        }
        if (!string.IsNullOrWhiteSpace(stage.Dns) && !StageOptions.TryParseDns(stage.Dns, out _, out _))
        {
            error($"{i}:Dns", $"Stage '{name}' Dns '{stage.Dns}' must be host:port.");
        }
        if (stage.DnsRefreshSeconds is < 0.1 or > 3600)
        {
            error($"{i}:DnsRefreshSeconds", $"Stage '{name}' DnsRefreshSeconds must be in [0.1, 3600].");
        }
    }

    /// <summary>The stage names along a cycle of inputs (first name repeated at the end), or null.</summary>
    private static List<string>? FindCycle(List<StageOptions> stages, Dictionary<string, int> byName)
    {
        var state = new int[stages.Count];
        var path = new List<int>();
        List<string>? Visit(int stage)
        {
            state[stage] = 1;
            path.Add(stage);
            foreach (var input in stages[stage].Inputs)
            {
                var from = byName[input.From!];
                if (state[from] == 1)
                {
                    return [.. path[path.IndexOf(from)..].Select(index => stages[index].Name!).Reverse(), stages[path[^1]].Name!];
                }
                if (state[from] == 0 && Visit(from) is { } cycle)
                {
                    return cycle;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[stage] = 2;
            return null;
        }
        for (var i = 0; i < stages.Count; i++)
        {
            if (state[i] == 0 && Visit(i) is { } cycle)
            {
                return cycle;
            }
        }
        return null;
    }

    private static string List(IEnumerable<string> names) => names.Any() ? string.Join(", ", names) : "nothing";
}
