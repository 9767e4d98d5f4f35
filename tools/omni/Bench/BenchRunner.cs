using System.Diagnostics;
using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.Cli.Bench;

/// <summary>
/// Runs one benchmark point against an orchestrator's gRPC API: the warm-up, then the workload at the plan's load,
/// timing each request's stream on the client (first text, every text message, first image, first and last audio,
/// final) and keeping the breakdown the orchestrator returns.
/// </summary>
public sealed class BenchRunner(Contracts.V1.Omni.OmniClient client, WorkloadGenerator workload)
{
    private readonly object _gate = new();

    /// <summary>Sends the plan's warm-up requests one at a time; they are measured by nothing.</summary>
    public async Task WarmUpAsync(BenchPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        for (var i = 0; i < plan.Warmup; i++)
        {
            await SendAsync(Next(), 0, Stopwatch.GetTimestamp(), plan.RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends the measured requests (after <see cref="WarmUpAsync"/>).</summary>
    /// <param name="plan">The load and its length.</param>
    /// <param name="onCompleted">Sees each measured request as it ends (from several threads).</param>
    /// <param name="cancellationToken">Stops sending; requests in flight are cancelled.</param>
    public async Task<IReadOnlyList<RequestRecord>> RunAsync(BenchPlan plan, Action<RequestRecord>? onCompleted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Requests is null && plan.Duration is null)
        {
            throw new ArgumentException("A plan needs a number of requests or a duration.", nameof(plan));
        }

        var records = new List<RequestRecord>();
        var started = Stopwatch.GetTimestamp();
        var sent = 0;
        bool More() => (plan.Requests is not { } count || sent < count) && (plan.Duration is not { } duration || Stopwatch.GetElapsedTime(started) < duration);
        async Task Measure(BenchRequest request)
        {
            var record = await SendAsync(request, Stopwatch.GetElapsedTime(started).TotalSeconds, Stopwatch.GetTimestamp(), plan.RequestTimeout,
                cancellationToken).ConfigureAwait(false);
            lock (records)
            {
                records.Add(record);
            }
            onCompleted?.Invoke(record);
        }

        switch (plan.Load)
        {
            case LoadShape.Rate rate:
                var arrivals = new ArrivalProcess(rate.RequestsPerSecond, rate.Burstiness, plan.Seed);
                var inFlight = new List<Task>();
                var due = TimeSpan.Zero;
                while (More() && !cancellationToken.IsCancellationRequested)
                {
                    var wait = due - Stopwatch.GetElapsedTime(started);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                    }
                    sent++;
                    inFlight.Add(Measure(Next()));
                    due += arrivals.NextGap();
                }
                await Task.WhenAll(inFlight).ConfigureAwait(false);
                break;
            case LoadShape.Concurrency concurrency:
                await Task.WhenAll(Enumerable.Range(0, concurrency.Clients).Select(async _ =>
                {
                    while (!cancellationToken.IsCancellationRequested)
                    {
                        BenchRequest request;
                        lock (_gate)
                        {
                            if (!More())
                            {
                                return;
                            }
                            sent++;
                            request = Next();
                        }
                        await Measure(request).ConfigureAwait(false);
                    }
                })).ConfigureAwait(false);
                break;
            default:
                throw new ArgumentException($"Unknown load {plan.Load}.", nameof(plan));
        }
        return [.. records.OrderBy(record => record.Index)];
    }

    private BenchRequest Next()
    {
        lock (_gate)
        {
            return workload.Next();
        }
    }

    private async Task<RequestRecord> SendAsync(BenchRequest request, double sentAt, long start, TimeSpan timeout, CancellationToken cancellationToken)
    {
        double? ttft = null, imageTtfp = null, audioTtfp = null;
        var itl = new List<double>();
        var lastText = 0.0;
        var lastAudio = 0.0;
        var images = 0;
        var samples = 0L;
        var sampleRate = 0u;
        try
        {
            using var call = client.Generate(request.Request, deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken);
            GenerateFinal? final = null;
            await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = Stopwatch.GetElapsedTime(start).TotalSeconds;
                switch (response.PayloadCase)
                {
                    case GenerateResponse.PayloadOneofCase.Text:
                        if (ttft is null)
                        {
                            ttft = now;
                        }
                        else
                        {
                            itl.Add(now - lastText);
                        }
                        lastText = now;
                        break;
                    case GenerateResponse.PayloadOneofCase.Image:
                        imageTtfp ??= now;
                        images++;
                        break;
                    case GenerateResponse.PayloadOneofCase.Audio:
                        audioTtfp ??= now;
                        lastAudio = now;
                        samples += (long)response.Audio.Samples;
                        sampleRate = response.Audio.SampleRate > 0 ? response.Audio.SampleRate : sampleRate;
                        break;
                    case GenerateResponse.PayloadOneofCase.Final:
                        final = response.Final;
                        break;
                }
            }
            var e2e = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (final is null)
            {
                return new RequestRecord(request.Index, request.Kind, sentAt, StatusCode.Internal) { Error = "The stream ended without a final message." };
            }
            var completion = (int)final.Usage.CompletionTokens;
            double? audioSeconds = samples > 0 && sampleRate > 0 ? (double)samples / sampleRate : null;
            return new RequestRecord(request.Index, request.Kind, sentAt, StatusCode.OK)
            {
                E2e = e2e,
                Ttft = ttft,
                Itl = itl,
                Tpot = ttft is { } first && completion > 1 ? (e2e - first) / (completion - 1) : null,
                ImageTtfp = imageTtfp,
                Queue = final.QueueTimeMs / 1000,
                PromptTokens = (int)final.Usage.PromptTokens,
                CompletionTokens = completion,
                Images = images,
                AudioTtfp = audioTtfp,
                AudioRtf = audioSeconds is { } length ? lastAudio / length : null,
                AudioSeconds = audioSeconds,
                AudioSamples = samples,
                Stages = [.. final.Stages.Select(stage => new StageTime(stage.Stage, stage.StageId, stage.ReplicaId, stage.GenTimeMs / 1000))],
                Transfers = [.. final.Transfers.Select(edge => new TransferTime(edge.FromStage, edge.ToStage, edge.Connector, edge.Bytes, edge.DurationMs / 1000))],
            };
        }
        catch (RpcException error)
        {
            return new RequestRecord(request.Index, request.Kind, sentAt, error.StatusCode) { Error = error.Status.Detail };
        }
    }
}
