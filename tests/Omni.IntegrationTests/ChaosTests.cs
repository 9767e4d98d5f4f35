using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Grpc.Core;
using Omni.Cli.Client;
using Omni.Cli.Launching;
using Xunit.Abstractions;

namespace Omni.IntegrationTests;

/// <summary>
/// The chaos lane (trait Category=Chaos, part of every run): faults injected into real processes under load with real
/// signals. Each test prints its figures and asserts that nothing is lost: every request ends with a final message or
/// a clear status, never UNKNOWN or INTERNAL, within its deadline.
/// </summary>
[Trait("Category", "Chaos")]
[Collection(FaultsCollection.Name)]
public sealed partial class ChaosTests(ITestOutputHelper output)
{
    private const int SigStop = 19;
    private const int SigCont = 18;
    private static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task MixedLoad_ArReplicaFrozenDiffusionReplicaKilledAndRestarted_NothingLostAndServingAfter() =>
        await MixedLoadAsync(frozenStage: pipeline => pipeline.ArStages[1], killedStage: pipeline => pipeline.DiffusionStages[1]);

    [Fact]
    public async Task MixedLoad_DiffusionReplicaFrozenArReplicaKilledAndRestarted_NothingLostAndServingAfter() =>
        await MixedLoadAsync(frozenStage: pipeline => pipeline.DiffusionStages[1], killedStage: pipeline => pipeline.ArStages[1]);

    /// <summary>
    /// Three clients send text and text+image requests without pause while one replica is frozen (SIGSTOP, then
    /// SIGCONT) and another is killed (SIGKILL) and started again on its port.
    /// </summary>
    private async Task MixedLoadAsync(Func<LocalPipeline, ServiceProcess> frozenStage, Func<LocalPipeline, ServiceProcess> killedStage)
    {
        await using var pipeline = await LocalPipeline.StartAsync(
            new LocalPipelineOptions { Device = "cpu", ArReplicas = 2, DiffusionReplicas = 2, ArArgs = ["--torch-threads", "1"] }, CancellationToken.None);
        using var client = new OmniClient(pipeline.Orchestrator.GrpcAddress);
        var unloaded = await TimeAsync(() => client.GenerateAsync(Requests.Both(maxTokens: 2)));
        var rssBefore = Rss(pipeline.Orchestrator.ProcessId);

        var outcomes = new ConcurrentBag<(StatusCode Code, double Ms)>();
        var lost = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 3).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var request = (i + worker) % 2 == 0 ? Requests.Text(maxTokens: 4) : Requests.Both(maxTokens: 2);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await client.GenerateAsync(request, deadline: DateTime.UtcNow + RequestDeadline).WaitAsync(RequestDeadline + TimeSpan.FromSeconds(15));
                    outcomes.Add((StatusCode.OK, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                }
                catch (RpcException error)
                {
                    outcomes.Add((error.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref lost);
                }
            }
        })).ToList();

        await Task.Delay(2000);
        var frozen = frozenStage(pipeline);
        var logBefore = pipeline.Orchestrator.Tail(10_000).Split('\n').Count(line => line.Contains("sent no load report", StringComparison.Ordinal));
        Assert.Equal(0, Kill(frozen.ProcessId, SigStop));
        var frozenAt = Stopwatch.GetTimestamp();
        while (pipeline.Orchestrator.Tail(10_000).Split('\n').Count(line => line.Contains("sent no load report", StringComparison.Ordinal)) == logBefore
            && Stopwatch.GetElapsedTime(frozenAt) < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }
        var detection = Stopwatch.GetElapsedTime(frozenAt);
        await Task.Delay(2000);
        Assert.Equal(0, Kill(frozen.ProcessId, SigCont));

        await Task.Delay(2000);
        var killed = killedStage(pipeline);
        killed.Kill();
        await Task.Delay(3000);
        await using var restarted = ServiceProcess.Start(killed.Kind, killed.GrpcPort, killed.MetricsPort, killed.StageId, killed.ReplicaId,
            ["--stage-id", $"{killed.StageId}", "--replica-id", $"{killed.ReplicaId}", "--device", "cpu"], pipeline.LogDirectory);
        await restarted.WaitHealthyAsync(TimeSpan.FromMinutes(2), CancellationToken.None);
        await Task.Delay(3000);

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        var after = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            after.Add((await client.GenerateAsync(Requests.Both(maxTokens: 2))).Images.Count);
        }

        var all = outcomes.ToList();
        var admitted = all.Where(outcome => outcome.Code == StatusCode.OK).Select(outcome => outcome.Ms).Order().ToList();
        output.WriteLine($"{frozen.Kind.Name} replica frozen, {killed.Kind.Name} replica killed and restarted");
        output.WriteLine($"requests sent {all.Count + lost}, succeeded {admitted.Count}, lost {lost}; failed by code: " +
            string.Join(", ", all.Where(outcome => outcome.Code != StatusCode.OK).GroupBy(outcome => outcome.Code).Select(group => $"{group.Key} {group.Count()}")));
        output.WriteLine($"p99 of the succeeded {Percentile(admitted, 0.99):F0} ms vs unloaded {unloaded:F0} ms; frozen replica detected after {detection.TotalSeconds:F1} s; " +
            $"orchestrator RSS {rssBefore:F0} -> {Rss(pipeline.Orchestrator.ProcessId):F0} MB");
        Assert.Equal(0, lost);
        Assert.All(all, outcome => Assert.True(outcome.Code is StatusCode.OK or StatusCode.Unavailable, $"{outcome.Code}"));
        Assert.True(admitted.Count > all.Count / 2, $"{admitted.Count} of {all.Count} succeeded");
        Assert.True(detection < TimeSpan.FromSeconds(6), $"frozen replica detected after {detection.TotalSeconds:F1} s");
        Assert.All(after, images => Assert.Equal(1, images));
    }

    [Fact]
    public async Task Overload_FourTimesTheAdmissionLimits_ExcessRefusedAtOnceNothingLost()
    {
        await using var pipeline = await LocalPipeline.StartAsync(
            new LocalPipelineOptions { Device = "cpu", OrchestratorArgs = ["--max-inflight", "2", "--max-waiting", "2"] }, CancellationToken.None);
        using var client = new OmniClient(pipeline.Orchestrator.GrpcAddress);
        var unloaded = await TimeAsync(() => client.GenerateAsync(Requests.Text(maxTokens: 16)));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await client.GenerateAsync(Requests.Text(maxTokens: 16), deadline: DateTime.UtcNow + RequestDeadline).WaitAsync(RequestDeadline + TimeSpan.FromSeconds(15));
                return (Code: StatusCode.OK, Ms: Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (RpcException error)
            {
                return (Code: error.StatusCode, Ms: Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }));

        var admitted = outcomes.Where(outcome => outcome.Code == StatusCode.OK).Select(outcome => outcome.Ms).Order().ToList();
        var refused = outcomes.Where(outcome => outcome.Code == StatusCode.ResourceExhausted).ToList();
        output.WriteLine($"16 sent at 4x the limits (2 in flight + 2 waiting): {admitted.Count} served, {refused.Count} RESOURCE_EXHAUSTED " +
            $"(refused within {refused.Select(outcome => outcome.Ms).DefaultIfEmpty().Max():F0} ms); p99 of the served {Percentile(admitted, 0.99):F0} ms vs unloaded {unloaded:F0} ms");
        Assert.Equal(16, admitted.Count + refused.Count);
        Assert.InRange(admitted.Count, 4, 15);
        Assert.All(refused, outcome => Assert.True(outcome.Ms < 2000, $"refusal took {outcome.Ms:F0} ms"));
    }

    [Fact]
    public async Task Sigterm_OrchestratorWithRequestsInFlight_TheyFinishAndItExitsZero()
    {
        await using var pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu" }, CancellationToken.None);
        await using var orchestrator = await pipeline.StartOrchestratorAsync([], CancellationToken.None);
        using var client = new OmniClient(orchestrator.GrpcAddress);

        var inFlight = Enumerable.Range(0, 4).Select(_ => client.GenerateAsync(Requests.Text(maxTokens: 24), deadline: DateTime.UtcNow + RequestDeadline)).ToList();
        await Task.Delay(300);
        var exitCode = await orchestrator.StopAsync(TimeSpan.FromSeconds(30));

        var results = await Task.WhenAll(inFlight.Select(async request =>
        {
            try
            {
                return (await request).TokenIds.Count;
            }
            catch (RpcException error)
            {
                return -(int)error.StatusCode;
            }
        }));
        output.WriteLine($"in flight at SIGTERM: 4; tokens each: {string.Join(", ", results)}; exit code {exitCode}");
        Assert.Equal(0, exitCode);
        Assert.All(results, tokens => Assert.Equal(24, tokens));
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var started = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static double Percentile(IReadOnlyList<double> sorted, double quantile) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(quantile * sorted.Count) - 1)];

    private static double Rss(int pid) =>
        double.Parse(File.ReadLines($"/proc/{pid}/status").First(line => line.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
