using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Graph;

namespace Omni.Orchestrator.Tests.Support;

/// <summary>Pipeline definitions for the graph tests, built the way configuration binds them.</summary>
public static class TestGraphs
{
    public static StageOptions Stage(string name, int id, string[] produces, string[]? clientOutputs = null, params StageInputOptions[] inputs) => new()
    {
        Name = name,
        StageId = id,
        Kind = "fake",
        Addresses = $"http://{name}.fake:1",
        Produces = [.. produces],
        ClientOutputs = [.. clientOutputs ?? []],
        Inputs = [.. inputs],
    };

    public static StageInputOptions From(string stage, string tensor, bool? partial = null, Connector connector = Connector.Relay) =>
        new() { From = stage, Tensors = [tensor], Partial = partial, Connector = connector };

    public static PipelineOptions Options(params StageOptions[] stages) => new() { Stages = [.. stages] };

    public static PipelineGraph Build(params StageOptions[] stages) => PipelineGraph.Build(Options(stages));

    /// <summary>a -> b -> c: a's tensor "x" feeds b, b's "y" feeds c, c sends the image.</summary>
    public static PipelineGraph Chain(bool partial = false) => Build(
        Stage("a", 0, ["x"]),
        Stage("b", 1, ["y"], null, From("a", "x", partial)),
        Stage("c", 2, ["image"], ["image"], From("b", "y", partial)));

    /// <summary>a's tensor "x" feeds t (which sends text) and i (which sends the image).</summary>
    public static PipelineGraph FanOut() => Build(
        Stage("a", 0, ["x"]),
        Stage("t", 1, ["text"], ["text"], From("a", "x")),
        Stage("i", 2, ["image"], ["image"], From("a", "x")));
}
