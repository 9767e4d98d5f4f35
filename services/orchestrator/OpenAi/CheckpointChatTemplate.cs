using Omni.Contracts.V1;
using Omni.Orchestrator.Graph;
using Omni.Orchestrator.OpenAi.Jinja;
using Omni.Orchestrator.Routing;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// The chat template of the checkpoint the pipeline's text stage serves, as its ready replicas report it in
/// <c>StageInfo</c>; compiled once per template text. Null while no ready replica has one (the built-in model has none).
/// </summary>
public sealed class CheckpointChatTemplate(PipelineStages stages)
{
    private readonly StageNode? _textStage = stages.Graph.Stages.FirstOrDefault(node => node.ClientOutputs.Contains(Modalities.Text));
    private volatile Compiled? _compiled;

    /// <summary>A compiled template with the token strings it may print.</summary>
    public sealed record Compiled(string Source, JinjaTemplate Template, string BosToken, string EosToken);

    /// <summary>The current template; throws <see cref="OpenAiRequestException"/> (500) when the checkpoint's template cannot be compiled here.</summary>
    public Compiled? Current()
    {
        if (_textStage is null)
        {
            return null;
        }
        var reported = stages[_textStage].Replicas.Where(replica => replica.State == ReplicaState.Ready)
            .Select(replica => replica.Info?.ChatTemplate).FirstOrDefault(template => template is { Template.Length: > 0 });
        if (reported is null)
        {
            return null;
        }
        var compiled = _compiled;
        if (compiled is not null && compiled.Source == reported.Template && compiled.BosToken == reported.BosToken && compiled.EosToken == reported.EosToken)
        {
            return compiled;
        }
        try
        {
            compiled = new Compiled(reported.Template, JinjaTemplate.Parse(reported.Template), reported.BosToken, reported.EosToken);
        }
        catch (JinjaException unsupported)
        {
            throw new OpenAiRequestException(500, null, $"The model's chat template cannot be rendered here: {unsupported.Message}", "server_error");
        }
        _compiled = compiled;
        return compiled;
    }
}
