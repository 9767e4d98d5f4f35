using Omni.Cli.Client;
using Omni.Cli.Launching;

namespace Omni.IntegrationTests;

/// <summary>Its own pipeline, since it kills a replica.</summary>
[Collection(FaultsCollection.Name)]
public sealed class FailoverTests
{
    [Fact]
    public async Task Generate_ArReplicaKilled_NewRequestsGoToTheOther()
    {
        await using var pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu", ArReplicas = 2 }, CancellationToken.None);
        using var client = new OmniClient(pipeline.Orchestrator.GrpcAddress);
        var before = new HashSet<uint>();
        for (var i = 0; i < 4; i++)
        {
            before.Add((await client.GenerateAsync(Requests.Text(maxTokens: 2))).Final.Stages[0].ReplicaId);
        }
        Assert.Equal(2, before.Count);

        pipeline.ArStages[1].Kill();

        for (var i = 0; i < 6; i++)
        {
            var result = await client.GenerateAsync(Requests.Both(maxTokens: 2));
            Assert.Equal(0u, result.Final.Stages[0].ReplicaId);
            Assert.NotNull(result.Image);
        }
    }
}
