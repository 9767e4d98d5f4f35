using Omni.Cli.Client;
using Omni.Contracts.V1;

namespace Omni.Cli.Tests;

public sealed class SpanTreeTests
{
    [Fact]
    public void Render_FinalOfATwoStageRequest_TreeWithEveryMeasuredSpan()
    {
        var final = new GenerateFinal { TraceId = "4bf92f3577b34da6a3ce929d0e0e4736", QueueTimeMs = 0.5, E2ETimeMs = 812.24 };
        var ar = new StageReport { Stage = "ar", StageId = 0, ReplicaId = 1, GenTimeMs = 300 };
        ar.Timings.Add(new Timing { Name = "prefill", Milliseconds = 20 });
        ar.Timings.Add(new Timing { Name = "decode", Milliseconds = 270 });
        var diffusion = new StageReport { Stage = "diffusion", StageId = 1, ReplicaId = 0, GenTimeMs = 500 };
        diffusion.Timings.Add(new Timing { Name = "exec", Milliseconds = 450 });
        final.Stages.Add(ar);
        final.Stages.Add(diffusion);
        final.Transfers.Add(new TransferReport { FromStage = 0, FromReplica = 1, ToStage = 1, Connector = "relay", Bytes = 2048, Chunks = 2, DurationMs = 2.5 });

        var lines = SpanTree.Render(final).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("Trace 4bf92f3577b34da6a3ce929d0e0e4736", lines[0]);
        Assert.Equal(
        [
            ("omni.request", "812.2 ms"),
            ("├─ omni.queue", "0.5 ms"),
            ("├─ omni.stage_call ar (stage 0, replica 1)", "300.0 ms"),
            ("│  ├─ ar.prefill", "20.0 ms"),
            ("│  └─ ar.decode", "270.0 ms"),
            ("├─ omni.stage_call diffusion (stage 1, replica 0)", "500.0 ms"),
            ("│  └─ diffusion.denoise", "450.0 ms"),
            ("└─ omni.transfer 0[1] -> 1[0] relay, 2048 B in 2 chunks", "2.5 ms"),
        ], lines.Skip(1).Select(line => (line[..line.LastIndexOf("  ", StringComparison.Ordinal)].TrimEnd(), line.Split("  ", StringSplitOptions.RemoveEmptyEntries)[^1].Trim())));
    }
}
