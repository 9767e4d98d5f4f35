using System.Diagnostics;
using System.Runtime.InteropServices;
using Omni.Cli.Client;
using Omni.Cli.Launching;

namespace Omni.IntegrationTests;

/// <summary>Its own pipeline, since it freezes a replica with SIGSTOP.</summary>
[Collection(FaultsCollection.Name)]
public sealed partial class FrozenReplicaTests
{
    private const int SigStop = 19;
    private const int SigCont = 18;

    [Fact]
    public async Task Generate_ArReplicaFrozen_DetectedWithinSecondsEveryRequestServedByTheOtherThenBackAfterResume()
    {
        await using var pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu", ArReplicas = 2 }, CancellationToken.None);
        using var client = new OmniClient(pipeline.Orchestrator.GrpcAddress);
        var frozen = pipeline.ArStages[1];
        try
        {
            Assert.Equal(0, Kill(frozen.ProcessId, SigStop));
            var started = Stopwatch.GetTimestamp();

            // Requests bound to the frozen replica before it is detected are retried on the other one.
            var served = new List<uint>();
            for (var i = 0; i < 6; i++)
            {
                var result = await client.GenerateAsync(Requests.Text(maxTokens: 2), deadline: DateTime.UtcNow.AddSeconds(30));
                served.Add(result.Final.Stages[0].ReplicaId);
            }
            var elapsed = Stopwatch.GetElapsedTime(started);

            Assert.All(served, replica => Assert.Equal(0u, replica));
            Assert.True(elapsed < TimeSpan.FromSeconds(10), $"six requests took {elapsed.TotalSeconds:F1} s with a frozen replica");
            Assert.Contains("sent no load report for", pipeline.Orchestrator.Tail(200));

            Assert.Equal(0, Kill(frozen.ProcessId, SigCont));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            var back = false;
            while (!back && DateTime.UtcNow < deadline)
            {
                back = (await client.GenerateAsync(Requests.Text(maxTokens: 2))).Final.Stages[0].ReplicaId == 1;
            }
            Assert.True(back, "the resumed replica got no request within 20 s");
        }
        finally
        {
            _ = Kill(frozen.ProcessId, SigCont);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
