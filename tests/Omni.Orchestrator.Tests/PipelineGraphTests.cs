using Microsoft.Extensions.Configuration;
using Grpc.Core;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Graph;
using static Omni.Orchestrator.Tests.Support.TestGraphs;

namespace Omni.Orchestrator.Tests;

public sealed class PipelineGraphTests
{
    [Fact]
    public void Validate_DefaultDefinition_NoErrors()
    {
        var options = DefaultDefinition();

        Assert.Empty(PipelineGraphValidator.Validate(options));
    }

    [Fact]
    public void Plan_DefaultDefinitionTextOnly_RunsTheArStageAlone()
    {
        var graph = PipelineGraph.Build(DefaultDefinition());

        var plan = graph.Plan([Modalities.Text]);

        Assert.Equal(["ar"], plan.Stages.Select(stage => stage.Node.Name));
        Assert.Empty(plan.Edges);
    }

    [Fact]
    public void Plan_DefaultDefinitionImage_RunsBothStagesOverOneEdge()
    {
        var graph = PipelineGraph.Build(DefaultDefinition());

        var plan = graph.Plan([Modalities.Image]);

        Assert.Equal(["ar", "diffusion"], plan.Stages.Select(stage => stage.Node.Name));
        Assert.Equal(["hidden_states", "negative_hidden_states"], Assert.Single(plan.Edges).Tensors);
        Assert.Equal(["hidden_states", "negative_hidden_states"], plan.Stages[0].StreamOutputs);
    }

    [Fact]
    public void Plan_OutputNoStageProduces_InvalidArgumentNamingOutputs()
    {
        var graph = Build(Stage("t", 0, ["text"], ["text"]));

        var error = Assert.Throws<RpcException>(() => graph.Plan([Modalities.Image]));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("outputs must be what this pipeline produces (text); it does not produce image.", error.Status.Detail);
    }

    [Fact]
    public void Build_StagesListedDownstreamFirst_OrdersThemTopologically()
    {
        var graph = Build(
            Stage("c", 2, ["image"], ["image"], From("b", "y")),
            Stage("b", 1, ["y"], null, From("a", "x")),
            Stage("a", 0, ["x"]));

        Assert.Equal(["a", "b", "c"], graph.Stages.Select(stage => stage.Name));
    }

    [Fact]
    public void Validate_UnknownUpstreamStage_NamesTheStageAndInput()
    {
        var errors = PipelineGraphValidator.Validate(Options(Stage("b", 0, ["image"], ["image"], From("nope", "x"))));

        Assert.Equal("Stage 'b' input 0 comes from unknown stage 'nope'.", Assert.Single(errors).Message);
    }

    [Fact]
    public void Validate_Cycle_NamesTheStagesAlongIt()
    {
        var errors = PipelineGraphValidator.Validate(Options(
            Stage("a", 0, ["x"], null, From("c", "z")),
            Stage("b", 1, ["y"], null, From("a", "x")),
            Stage("c", 2, ["z", "image"], ["image"], From("b", "y"))));

        Assert.Equal("The stages form a cycle: b -> c -> a -> b.", Assert.Single(errors).Message);
    }

    [Fact]
    public void Validate_InputNoStageProduces_NamesTheEdgeAndTensor()
    {
        var errors = PipelineGraphValidator.Validate(Options(
            Stage("a", 0, ["x"]),
            Stage("b", 1, ["image"], ["image"], From("a", "hidden_states"))));

        Assert.Equal("Stage 'b' input 0 needs 'hidden_states' from stage 'a', which does not produce it (it produces x).", Assert.Single(errors).Message);
    }

    [Fact]
    public void Validate_ClientOutputTheStageDoesNotProduce_NamesTheStage()
    {
        var errors = PipelineGraphValidator.Validate(Options(Stage("a", 0, ["text"], ["text", "image"])));

        Assert.Equal("Stage 'a' sends 'image' to the client but does not produce it (it produces text).", Assert.Single(errors).Message);
    }

    [Fact]
    public void Validate_DuplicateStageId_NamesBothStages()
    {
        var errors = PipelineGraphValidator.Validate(Options(Stage("a", 0, ["text"], ["text"]), Stage("b", 0, ["image"], ["image"])));

        Assert.Equal("Duplicate stage_id 0: stages 'a' and 'b'.", Assert.Single(errors).Message);
    }

    [Fact]
    public void Validate_DuplicateStageName_NamesTheName()
    {
        var errors = PipelineGraphValidator.Validate(Options(Stage("a", 0, ["text"], ["text"]), Stage("a", 1, ["image"], ["image"])));

        Assert.Equal("Stage name 'a' is used by stages 0 and 1.", Assert.Single(errors).Message);
    }

    [Fact]
    public void Validate_TwoStagesSendTheSameModality_NamesBoth()
    {
        var errors = PipelineGraphValidator.Validate(Options(Stage("a", 0, ["text"], ["text"]), Stage("b", 1, ["text"], ["text"])));

        Assert.Equal("Stages 'a' and 'b' both send 'text' to the client; one stage must.", Assert.Single(errors).Message);
    }

    [Fact]
    public void Validate_DirectEdgeThatWaitsForTheWholePayload_NamesTheEdge()
    {
        var errors = PipelineGraphValidator.Validate(Options(
            Stage("a", 0, ["x"]),
            Stage("b", 1, ["image"], ["image"], From("a", "x", partial: false, connector: Connector.Direct))));

        Assert.Equal("Stage 'b' input 0 (from 'a') uses the direct connector, which streams; Partial cannot be false.", Assert.Single(errors).Message);
    }

    /// <summary>The definition that ships as pipelines/default.yaml, bound the way the orchestrator binds it.</summary>
    private static PipelineOptions DefaultDefinition()
    {
        var configuration = new ConfigurationBuilder();
        configuration.AddPipelineDefinition(null);
        return configuration.Build().GetSection(PipelineOptions.SectionName).Get<PipelineOptions>()!;
    }
}
