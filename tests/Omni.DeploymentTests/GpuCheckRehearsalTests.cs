using System.Text.RegularExpressions;

namespace Omni.DeploymentTests;

/// <summary>The GPU check's CPU rehearsal: every part a GPU run has works and writes its results (issue 16).</summary>
public sealed class GpuCheckRehearsalTests(GpuCheckRehearsal rehearsal) : IClassFixture<GpuCheckRehearsal>
{
    [Fact]
    public void Run_OnCpu_ExitsZero()
    {
        Assert.True((rehearsal.BundleExitCode, rehearsal.RunExitCode) == (0, 0), rehearsal.Log);
    }

    [Fact]
    public void Probe_OnCpu_TorchSharpComputesWithTheGivenLibTorch()
    {
        var probe = rehearsal.Read("probe.log");

        Assert.Contains("RESULT torchsharp matmul", probe);
        Assert.Contains("undefined symbols: 0", probe);
        Assert.Contains("RESULT upload device=cpu exact=True pinned=True", probe);
    }

    [Fact]
    public void Probe_OnCpu_SaysWhyNoCudaGraph()
    {
        var probe = rehearsal.Read("probe.log");

        Assert.Contains("RESULT cudagraph device=cpu available=False reason=cpu is not a CUDA device", probe);
        Assert.Contains("RESULT cudagraph_model device=cpu available=False reason=cpu is not a CUDA device", probe);
        Assert.Contains("RESULT cudagraph_engine device=cpu graphs=\"off (cpu is not a CUDA device)\" recorded=0 replays=0 same_tokens=True", probe);
    }

    [Fact]
    public void Bundle_Built_CarriesTheCudaGraphShimBesideTheProbe()
    {
        Assert.True(File.Exists(Path.Combine(rehearsal.Work, "apps", "bench", "libomni_cuda_graphs.so")), rehearsal.Log);
    }

    [Fact]
    public void Pipeline_OnCpu_ServesTextImageAndSpeech()
    {
        Assert.Contains("Image: ", rehearsal.Read("e2e.log"));
        Assert.True(new FileInfo(Path.Combine(rehearsal.Generated, "speech.wav")) is { Exists: true, Length: > 44 }, rehearsal.Read("e2e.log"));
        Assert.NotEmpty(Directory.GetFiles(rehearsal.Generated, "*.png"));
    }

    [Fact]
    public void Pipeline_OnCpu_StageLogsSayWarmUpAndGraphs()
    {
        var e2e = rehearsal.Read("e2e.log");

        Assert.Matches(@"ar-stage-[^\n]*Warmed up in [0-9]+ ms", e2e);
        Assert.Matches(@"diffusion-stage-[^\n]*Warmed up in [0-9]+ ms", e2e);
        Assert.Matches(@"ar-stage-[^\n]*CUDA graphs off", e2e);
    }

    [Fact]
    public void Metrics_OnCpu_EveryServiceScraped()
    {
        var metrics = rehearsal.Read("metrics.txt");

        Assert.DoesNotContain("SCRAPE FAILED", metrics);
        Assert.True(Regex.Matches(metrics, "^##### ", RegexOptions.Multiline).Count >= 5, metrics);
        Assert.Contains("vllm:num_requests_running", metrics);
    }

    [Fact]
    public void Benchmarks_OnCpu_WriteTheirTables()
    {
        Assert.Matches(@"\| default \| 15\.8M \| 8 \| [0-9.]+ \|", rehearsal.Read("ar.md"));
        Assert.Matches(@"\n\| 2 \| [0-9.]+ \|", rehearsal.Read("diffusion.md"));
        Assert.Matches(@"\| default \| 15\.8M \| 4 \| [0-9.]+ \|.* \| [0-9]+ / 1\.0 / 1\.0 \|", rehearsal.Read("ar-varied.md"));
        Assert.Matches(@"\| host \| 0\.0M \| 4 \| [0-9.]+ \|.* \| [0-9]+ / 1\.0 / 1\.0 \| [0-9.]+ \| [0-9.]+ / [0-9.]+ / [0-9.]+ / [0-9.]+ / [0-9.]+ \|", rehearsal.Read("ar-host.md"));
        Assert.Matches(@"CUDA graphs off \(cpu is not a CUDA device\)(.|\n)*\| host \| 0\.0M \| 4 \| [0-9.]+ \|", rehearsal.Read("ar-graphs.md"));
        // This machine's python has no torch: the peer is skipped, and says so (on the GPU machine it writes its rows).
        Assert.Matches(@"\| host \| 4 \| [0-9.]+ \||SKIPPED hf peer", rehearsal.Read("hf.md"));
    }

    [Fact]
    public void Benchmarks_OnCpu_ArLevelsSayTheirWarmUp()
    {
        Assert.Matches(@"  4 concurrent: [0-9., ]+ tokens/s \(after [1-9][0-9]* warm-up rounds(, the JIT still compiling)?\)", rehearsal.Read("ar-host.md"));
    }
}
