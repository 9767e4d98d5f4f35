using Omni.Cli.Launching;

namespace Omni.IntegrationTests;

/// <summary>Two AR replicas and two diffusion replicas behind one orchestrator (relay connector).</summary>
public sealed class ReplicatedPipelineFixture()
    : LocalPipelineFixture(new LocalPipelineOptions { Device = "cpu", ArReplicas = 2, DiffusionReplicas = 2 });

[CollectionDefinition(Name)]
public sealed class ReplicatedPipelineCollection : ICollectionFixture<ReplicatedPipelineFixture>
{
    public const string Name = "replicated-pipeline";
}
