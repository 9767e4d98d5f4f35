using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Omni.Testing;

namespace Omni.IntegrationTests;

/// <summary>`omni bench --local` end to end, as a user runs it: the tool's own process, real services, a mixed workload with speech.</summary>
public sealed class BenchCommandTests
{
    [Fact]
    public async Task BenchLocal_ShortMixedRun_NoFailuresAndEveryCountAgreesWithMetrics()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"omni-bench-{Guid.NewGuid():N}"[..20]);
        var json = Path.Combine(directory, "result.json");

        var (exitCode, output) = await RunToolAsync("bench", "--local", "--speech", "--device", "cpu", "--mix", "text=2,image=1,speech=1",
            "--max-tokens", "4-8", "--image-sizes", "64", "--steps", "2", "--audio-seconds", "0.2-0.4", "--concurrency", "2", "--requests", "12",
            "--warmup", "1", "--slo", "e2e=60s", "--json", json, "--plot", directory);

        Assert.True(exitCode == 0, output);
        using var result = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var point = result.RootElement.GetProperty("points")[0];
        Assert.Equal(12, point.GetProperty("by_status").GetProperty("OK").GetInt32());
        var metrics = point.GetProperty("metrics").EnumerateArray().ToList();
        Assert.Contains(metrics, agreement => agreement.GetProperty("family").GetString() == "vllm:omni_requests_success_total"
            && agreement.GetProperty("server").GetDouble() == 12);
        Assert.Contains(metrics, agreement => agreement.GetProperty("family").GetString() == "vllm:omni_audio_frames_total"
            && agreement.GetProperty("server").GetDouble() > 0);
        Assert.All(metrics, agreement => Assert.True(agreement.GetProperty("agrees").GetBoolean(), agreement.ToString()));
        Assert.All(["latency.png", "throughput.png", "stages.png"], name => Assert.True(new FileInfo(Path.Combine(directory, name)).Length > 1000, name));
    }

    /// <summary>Runs the omni tool's own build (its own dependencies, as installed), not the copy beside these tests.</summary>
    private static async Task<(int ExitCode, string Output)> RunToolAsync(params string[] args)
    {
        var configuration = typeof(BenchCommandTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(RepositoryPaths.Combine("tools", "omni", "bin", configuration, "net10.0", "omni.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await errors);
    }
}
